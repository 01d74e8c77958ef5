#!/usr/bin/env bash
# A complete study driven through knob's ask/tell commands: 30 trials of the
# Branin objective, intermediate values reported, hopeless trials marked pruned,
# then the best trial. Usage: ask_tell_study.sh [path/to/knob] [storage.db]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
knob="${1:-knob}"
db="${2:-branin.db}"
study=(--storage "sqlite:///$db" --study branin)

"$knob" create-study "${study[@]}" --if-exists --direction minimize --sampler tpe \
  --sampler-options '{"seed": 42}' \
  --space '{"x1": {"type": "float", "low": -5, "high": 10},
            "x2": {"type": "float", "low": 0, "high": 15},
            "shape": {"type": "categorical", "choices": ["round", "flat", "spiky"]}}'
# A known good point first: enqueued trials are handed out before sampled ones.
"$knob" enqueue "${study[@]}" --params '{"x1": 3.14, "x2": 2.27, "shape": "round"}' >/dev/null

for _ in $(seq 30); do
  trial=$("$knob" ask "${study[@]}")
  number=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["number"])' <<<"$trial")
  params=$(python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["params"]))' <<<"$trial")
  step=0
  value=""
  while read -r line; do
    case "$line" in
      step\ *) "$knob" report "${study[@]}" --trial "$number" --step "$step" --value "${line#step }"
               step=$((step + 1)) ;;
      *) value="$line" ;;
    esac
  done < <(python3 "$here/objectives/branin.py" "$params")
  if python3 -c "import sys; sys.exit(0 if float('$value') > 100 else 1)"; then
    "$knob" tell "${study[@]}" --trial "$number" --state pruned   # keeps the last reported value
  else
    "$knob" tell "${study[@]}" --trial "$number" --value "$value"
  fi
done

"$knob" trials "${study[@]}" --state complete --format csv | sed -n 1,5p
echo "best trial:"
"$knob" best-trial "${study[@]}"
