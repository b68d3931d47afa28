#!/usr/bin/env bash
# Soak: send SIGINT/SIGTERM to real runs at every tested point, REPEAT times (default 20):
# inside a step (1 and 4 workers), inside a cleanup, while the report is written.
#   scripts/soak_signals.sh [REPEAT]
# Prints one line per round and a tally; exits 1 if any round failed.
set -u
cd "$(dirname "$0")/.."
repeat=${1:-20}
failed=0
for round in $(seq 1 "$repeat"); do
  start=$(date +%s)
  if .venv/bin/python -m pytest -q -p no:cacheprovider \
      tests/faults/test_signals.py \
      "tests/e2e/test_cli.py::test_an_interrupted_run_exits_130_and_stops_everything" \
      "tests/e2e/test_scale.py::test_ctrl_c_stops_every_worker_and_keeps_what_ran" \
      "tests/e2e/test_database_cleanup.py::test_seeded_rows_are_removed_after_ctrl_c_mid_scenario" \
      > "/tmp/interlock-soak-$round.log" 2>&1; then
    echo "round $round: passed ($(( $(date +%s) - start )) s)"
  else
    failed=$((failed + 1))
    echo "round $round: FAILED ($(( $(date +%s) - start )) s), see /tmp/interlock-soak-$round.log"
  fi
done
echo "soak: $((repeat - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
