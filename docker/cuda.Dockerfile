# knob for CUDA hosts: knob and knob-train built against PyTorch's LibTorch with
# CUDA and NCCL; trainers see the GPUs of their slot only.
#   docker build -f docker/cuda.Dockerfile -t knob:cuda .
#   docker run --gpus all -v $PWD:/work knob:cuda run study.yaml
# The base image's Ubuntu packages stand in for Debian's (same names).
FROM pytorch/pytorch:2.5.1-cuda12.4-cudnn9-devel
COPY scripts/install_deps.sh /src/scripts/install_deps.sh
RUN bash /src/scripts/install_deps.sh --no-peers --no-torch && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cd /src && KNOB_CMAKE_ARGS="-DKNOB_BUILD_TESTS=OFF -DKNOB_BUILD_BENCH=OFF \
      -DCMAKE_PREFIX_PATH=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')" \
      scripts/build.sh \
    && cmake --install build --prefix /usr/local && rm -rf /src/build
WORKDIR /work
ENTRYPOINT ["knob"]
CMD ["--help"]
