#!/usr/bin/env bash
# Installs the Debian 12 packages knob needs to build, test and benchmark.
# Used by the README's set-up commands, .ci/run and the Docker images.
#   --no-peers: only what building and running knob needs (the Docker images):
#   no PostgreSQL server, Optuna or Python PyTorch to test and measure against.
#   --no-torch: not Debian's LibTorch (the CUDA image brings PyTorch's own).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libsqlitecpp-dev libsqlite3-dev nlohmann-json3-dev libspdlog-dev doctest-dev
  libboost-dev libcli11-dev libyaml-cpp-dev zlib1g-dev libpq-dev sqlite3 python3
  libeigen3-dev liblbfgspp-dev  # the GP sampler
  dataset-fashion-mnist     # the real data knob-train and its tests use
  libopenblas0-pthread      # the BLAS LibTorch calls (not the 7x slower reference BLAS)
)
case " $* " in *" --no-torch "*) ;; *) packages+=(libtorch-dev libgloo-dev) ;; esac  # knob-train (LibTorch 1.13, CPU; Gloo for c10d)
if [[ " $* " != *" --no-peers "* ]]; then
  packages+=(
    postgresql                                  # the tests start a throw-away server
    python3-optuna python3-psycopg2             # the peer knob is measured against, interop tests
    python3-torch python3-numpy                 # the Python training loop knob-train is measured against
    python3-sklearn python3-torchvision         # Optuna's own examples (shared/peer-examples), run under knob
    clang libclang-rt-14-dev                    # the fuzz targets (libFuzzer) and their sanitizers
    chromium                                    # the dashboard's tests open it in a real browser
  )
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
