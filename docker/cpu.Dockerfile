# knob on Debian 12, CPU only: `knob` and `knob-train` on the PATH.
# Built with the same scripts CI runs:
#   docker build -f docker/cpu.Dockerfile -t knob:cpu .
# (docker/check_cpu_image.sh builds and runs it with podman where Docker is missing.)
FROM debian:12
COPY scripts/install_deps.sh /src/scripts/install_deps.sh
RUN bash /src/scripts/install_deps.sh --no-peers && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cd /src && KNOB_CMAKE_ARGS="-DKNOB_BUILD_TESTS=OFF -DKNOB_BUILD_BENCH=OFF" scripts/build.sh \
    && cmake --install build --prefix /usr/local && rm -rf /src/build
WORKDIR /work
ENTRYPOINT ["knob"]
CMD ["--help"]
