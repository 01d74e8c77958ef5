#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan, in build-san/,
# the tree scripts/sanitize.sh shares) and runs each for SECONDS (default 600), starting
# from the small corpus committed in tests/fuzz/corpus (new inputs go to
# build-san/corpus, not into git). A crash, leak, timeout (10 s an input) or out-of-memory fails it.
#   scripts/fuzz.sh [SECONDS] [TARGET ...]      e.g. scripts/fuzz.sh 20   (CI's short form)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_study_file fuzz_space_json fuzz_trainer_message fuzz_cli_json fuzz_train_config
                                   fuzz_dashboard_request fuzz_sampler)
scripts/sanitized_build.sh "${targets[@]}"
for target in "${targets[@]}"; do
  corpus=build-san/corpus/$target
  mkdir -p "$corpus"
  echo "fuzz.sh: $target for ${seconds}s"
  log=build-san/$target.log
  rc=0
  build-san/tests/fuzz/$target -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix=build-san/"$target"- \
    "$corpus" tests/fuzz/corpus/"$target" >"$log" 2>&1 || rc=$?
  # The progress lines stay in the log; the summary and any report are shown.
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==|SUMMARY|Done )" "$log" || true
  [ "$rc" -eq 0 ] || { tail -40 "$log"; echo "fuzz.sh: $target FAILED (exit $rc; see $log and build-san/$target-*)"; exit 1; }
done
echo "fuzz.sh: ${#targets[@]} targets ran ${seconds}s each without a crash, leak or hang"
