#!/bin/bash
# The CUDA check of knob-train, as one command (../shared/GPU-BUILD.md).
#   scripts/gpu-check.sh prepare   on a Debian 12 machine with the network: fetches
#                                  the .deb files knob-train needs and a copy of
#                                  Fashion-MNIST into .deps/ (git-ignored)
#   scripts/gpu-check.sh run       on the CUDA machine (PyTorch installed for
#                                  python3, no package registry): unpacks them,
#                                  builds knob-train against PyTorch's LibTorch,
#                                  runs its test program (FlatAdamW on CUDA), trains
#                                  the MLP and CNN recipes briefly in fp32, bf16 and
#                                  fp16, and prints samples per second of each
#                                  beside the Python PyTorch loop on the same GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
DEPS=.deps

prepare() {
  mkdir -p "$DEPS/debs" "$DEPS/fashion-mnist"
  (cd "$DEPS/debs" && apt-get download nlohmann-json3-dev zlib1g-dev)
  cp /usr/share/datasets/fashion-mnist/*-ubyte.gz "$DEPS/fashion-mnist/"
  du -sh "$DEPS"
}

run() {
  local prefix=/tmp/knob-deps
  mkdir -p "$prefix"
  for deb in "$DEPS"/debs/*.deb; do dpkg -x "$deb" "$prefix"; done
  local torch_prefix
  torch_prefix=$(python3 -c "import torch; print(torch.utils.cmake_prefix_path)")
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DKNOB_TRAINER_ONLY=ON \
    -DCMAKE_PREFIX_PATH="$torch_prefix;$prefix/usr;$prefix/usr/share/cmake;$prefix/usr/lib/x86_64-linux-gnu/cmake" \
    -DZLIB_INCLUDE_DIR="$prefix/usr/include" \
    -DZLIB_LIBRARY="$(ls /usr/lib/x86_64-linux-gnu/libz.so.1 /lib/x86_64-linux-gnu/libz.so.1 2>/dev/null | head -1)" \
    > build-gpu.log
  grep "knob-train: data parallel" build-gpu.log || echo "knob-train: no NCCL found: data parallel on CUDA is not built"
  cmake --build build-gpu -j "$(nproc)" >> build-gpu.log
  ./build-gpu/knob_train_tests
  local data
  data=$(pwd)/$DEPS/fashion-mnist
  for recipe in fashion_mlp fashion_cnn; do
    for precision in fp32 bf16 fp16; do
      local sets=(--set "output_dir=/tmp/knob-gpu/$recipe-$precision" --set max_steps=600 --set eval_strategy=no
                  --set save_strategy=no --set load_best_model_at_end=false --set "dataset.path=$data")
      [ "$precision" = fp32 ] || sets+=(--set "$precision=true")
      ./build-gpu/knob-train --config "examples/$recipe.json" "${sets[@]}" > "/tmp/knob-gpu-$recipe-$precision.log"
      python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(sys.argv[2], m['device'], \
'%.0f samples/s' % m['train_samples_per_second'], 'test accuracy %.4f' % m['test_accuracy'])" \
        "/tmp/knob-gpu/$recipe-$precision/metrics.json" "$recipe $precision"
    done
  done
  KNOB_FASHION_MNIST=$data python3 bench/train_bench.py build-gpu --device cuda --threads 4 --epochs 2 \
    --train-samples 60000 --repeats 2
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: scripts/gpu-check.sh prepare|run" >&2; exit 2 ;;
esac
