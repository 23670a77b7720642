#!/usr/bin/env bash
# Times whole `ward hook claude-code` processes (release build, warm ledger) next to
# the spawn of a minimal binary in the same run, and prints p50 / p99 and their
# ratios. WARD_BENCH_RUNS=N sets the runs per payload (default 300).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench -p ward --bench hook_latency "$@"
