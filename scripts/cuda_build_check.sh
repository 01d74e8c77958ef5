#!/bin/bash
# Builds knob-train's CUDA and NCCL path here, where nothing runs CUDA, so that
# the code is known to compile before any GPU session: against the LibTorch of
# PyTorch's CUDA wheel from PyPI (the version of ../shared/GPU-BUILD.md's machine,
# 2.11.0 with CUDA 13.0, by default) and this machine's CUDA toolkit (nvcc, NCCL).
#   scripts/cuda_build_check.sh [TORCH_VERSION]
# The wheel is fetched once into .whl/ (git-ignored; about 530 MB) and its
# include/, lib/ and share/ unpacked beside it. The build goes to
# build-cuda-check/; the check passes when CMake found NCCL, data_parallel.cc
# compiled with it, and knob-train and its test program linked (libraries the
# wheel takes from other PyPI packages are left unresolved: nothing runs here).
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-2.11.0}
cuda=${CUDA_HOME:-/usr/local/cuda}
mkdir -p .whl
wheel=$(ls .whl/torch-"$version"-*.whl 2>/dev/null | head -1 || true)
if [ -z "$wheel" ]; then
  python3 -m pip download "torch==$version" --no-deps --only-binary=:all: -d .whl
  wheel=$(ls .whl/torch-"$version"-*.whl | head -1)
fi
root=.whl/torch-$version
if [ ! -f "$root/torch/share/cmake/Torch/TorchConfig.cmake" ]; then
  mkdir -p "$root"
  (cd "$root" && unzip -q -o "../$(basename "$wheel")" 'torch/include/*' 'torch/lib/*' 'torch/share/*' 'torch/version.py')
fi
grep -E "^__version__|^cuda" "$root/torch/version.py"
"$cuda/bin/nvcc" --version | tail -1
# No Gloo headers in the wheel (nor on the CUDA machine): Debian's, made for its
# LibTorch 1.13, are left out, so the build is the one the CUDA machine makes.
# The card of GPU-BUILD.md (H100/H200: compute capability 9.0); no GPU here to detect.
mkdir -p build-cuda-check
export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-9.0}
cmake -S . -B build-cuda-check -G Ninja -DCMAKE_BUILD_TYPE=Release -DKNOB_TRAINER_ONLY=ON \
  -DCMAKE_PREFIX_PATH="$(pwd)/$root/torch/share/cmake" -DCUDAToolkit_ROOT="$cuda" \
  -DCMAKE_CUDA_COMPILER="$cuda/bin/nvcc" -DKNOB_GLOO=OFF \
  -DCMAKE_EXE_LINKER_FLAGS="-Wl,--allow-shlib-undefined -Wl,-rpath-link,$cuda/lib64" \
  > build-cuda-check/check.log 2>&1 || { tail -30 build-cuda-check/check.log; exit 1; }
grep -q "data parallel on CUDA over NCCL" build-cuda-check/check.log || {
  echo "cuda_build_check: CMake did not find NCCL with a CUDA LibTorch" >&2; tail -30 build-cuda-check/check.log; exit 1; }
grep "knob-train: data parallel" build-cuda-check/check.log
cmake --build build-cuda-check --target knob-train knob_train_tests >> build-cuda-check/check.log 2>&1 || {
  grep -E "error|Error" build-cuda-check/check.log | head -30; exit 1; }
nm -C build-cuda-check/knob-train > build-cuda-check/knob-train.symbols
grep -q "ProcessGroupNCCL::ProcessGroupNCCL" build-cuda-check/knob-train.symbols || {
  echo "cuda_build_check: knob-train does not construct ProcessGroupNCCL" >&2; exit 1; }
echo "cuda_build_check: knob-train and knob_train_tests built against LibTorch $version with CUDA and NCCL"
