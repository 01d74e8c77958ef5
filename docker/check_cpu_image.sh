#!/usr/bin/env bash
# Builds docker/cpu.Dockerfile and runs what it built, on a Debian 12 machine that
# has no Docker and no image registry (only Debian's packages): podman builds the
# image (buildah's chroot isolation) FROM a debian:12 base made here with
# debootstrap, then the image's own files run in a chroot (knob, knob-train on
# Fashion-MNIST) and, like docker/compose.yaml, four workers of the image share
# docker/study.yaml on a PostgreSQL server on loopback. Run as root from anywhere:
#   bash docker/check_cpu_image.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
podman_=(podman --storage-driver vfs)
export DEBIAN_FRONTEND=noninteractive
command -v podman >/dev/null && command -v debootstrap >/dev/null || apt-get install -y -q podman debootstrap >/dev/null

if ! "${podman_[@]}" image exists docker.io/library/debian:12; then
  rootfs=$(mktemp -d)
  mirror=$(grep -h "^URIs" /etc/apt/sources.list.d/debian.sources | head -1 | awk '{print $2}')
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null
  cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/" && rm -f "$rootfs/etc/apt/sources.list"
  tar -C "$rootfs" -c . | "${podman_[@]}" import - docker.io/library/debian:12 >/dev/null
  rm -rf "$rootfs"
fi

context=$(mktemp -d)
git -C "$repo" archive HEAD | tar -x -C "$context"
"${podman_[@]}" build --isolation chroot --network host -f "$context/docker/cpu.Dockerfile" -t knob:cpu "$context" \
  > "$context.build.log" 2>&1 || { tail -20 "$context.build.log"; exit 1; }
echo "built knob:cpu ($(wc -l < "$context.build.log") lines of build log in $context.build.log)"

mnt=$("${podman_[@]}" image mount localhost/knob:cpu)
mount -t proc proc "$mnt/proc"
mount --bind /dev "$mnt/dev"
pg_dir=$(mktemp -d)
cleanup() {
  "$repo/scripts/pg_test_server.sh" stop "$pg_dir" >/dev/null 2>&1 || true
  umount "$mnt/proc" "$mnt/dev" || true
  "${podman_[@]}" image unmount localhost/knob:cpu >/dev/null || true
  rm -rf "$context" "$pg_dir"
}
trap cleanup EXIT
in_image() { chroot "$mnt" sh -c "$1"; }

in_image 'knob --help | head -1; knob-train --help'
mkdir -p "$mnt/work" "$mnt/examples" "$mnt/study"
cp "$repo"/examples/python/*.py "$mnt/examples/"
cat > "$mnt/work/quick.json" <<'JSON'
{"learning_rate": 0.002, "max_steps": 100, "per_device_train_batch_size": 64, "per_device_eval_batch_size": 1000,
 "eval_strategy": "steps", "eval_steps": 50, "logging_steps": 50, "save_steps": 50, "max_eval_samples": 2000,
 "output_dir": "/work/kt", "model": {"type": "cnn", "channels": [8, 16]}}
JSON
in_image 'cd /work && OMP_NUM_THREADS=2 knob-train --config quick.json | tail -2 | head -1'

port=55499
url=$("$repo/scripts/pg_test_server.sh" start "$pg_dir" "$port")
sed "s#postgresql://knob:knob@postgres:5432/knob#$url#" "$repo/docker/study.yaml" > "$mnt/study/study.yaml"
for i in 1 2 3 4; do in_image "cd /work && knob run /study/study.yaml > /work/worker$i.log 2>&1" & done
wait
in_image "knob status --storage $url --study shared-learning-curve"
in_image "knob trials --storage $url --study shared-learning-curve --format json" | python3 -c '
import json, sys
trials = json.load(sys.stdin)
numbers = sorted(t["number"] for t in trials)
finished = sum(t["state"] in ("COMPLETE", "PRUNED") for t in trials)
print(f"{len(trials)} trials, {finished} finished, numbered 0..199 once each: {numbers == list(range(200))}")
sys.exit(0 if numbers == list(range(200)) and finished == 200 else 1)'
