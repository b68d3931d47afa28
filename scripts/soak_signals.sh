#!/usr/bin/env bash
# Soak: send SIGINT/SIGTERM to real runs at every tested point, REPEAT times (default 20):
# inside a step (1 and 4 workers), in each kind of hook and between steps (1 and 2
# workers), at a random moment of many quick steps, inside a cleanup, while the report
# is written, and a second signal.
#   scripts/soak_signals.sh [REPEAT]
# Prints one line per round, then each test that ever failed with its count, and the
# slowest exit each timed point showed; exits 1 if any round failed.
set -u
cd "$(dirname "$0")/.."
repeat=${1:-20}
logs=${SOAK_LOGS:-/tmp/interlock-soak}
mkdir -p "$logs"
failed=0
for round in $(seq 1 "$repeat"); do
  start=$(date +%s)
  log="$logs/round-$round.log"
  if .venv/bin/python -m pytest -q -s -rf -p no:cacheprovider \
      tests/faults/test_signals.py tests/faults/test_signal_points.py \
      "tests/e2e/test_cli.py::test_an_interrupted_run_exits_130_and_stops_everything" \
      "tests/e2e/test_scale.py::test_ctrl_c_stops_every_worker_and_keeps_what_ran" \
      "tests/e2e/test_database_cleanup.py::test_seeded_rows_are_removed_after_ctrl_c_mid_scenario" \
      > "$log" 2>&1; then
    echo "round $round: passed ($(( $(date +%s) - start )) s)"
  else
    failed=$((failed + 1))
    echo "round $round: FAILED ($(( $(date +%s) - start )) s), see $log"
  fi
done
echo "soak: $((repeat - failed)) of $repeat rounds passed"
grep -h "^FAILED" "$logs"/round-*.log | sed 's/ - .*//' | sort | uniq -c | sed 's/^/  failed /'
# Each timed point prints "<point>: out X s after ..."; show the slowest per point.
cat "$logs"/round-*.log | .venv/bin/python -c '
import re, sys
seen = {}
for line in sys.stdin:
    found = re.search(r"(.*?): out ([0-9.]+) s after", re.sub(r"^[.FEsx]+", "", line))
    if found:
        seen.setdefault(found[1], []).append(float(found[2]))
for point, times in sorted(seen.items()):
    print(f"  {point:<58} {len(times):3d} runs, slowest exit {max(times):.2f} s")
'
[ "$failed" -eq 0 ]
