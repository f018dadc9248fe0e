#!/usr/bin/env bash
# The channel funnel benchmark (bench/README.md, "Channel funnel"): GET /api/admin/dashboard/funnel's handler over
# 1,000,000 members, from the per-day summary and, for comparison, from the entries.
#
#   bench/funnel.sh [--no-build]
#
# Uses the MariaDB already running (WG_BENCH_MYSQL, server-level) and the database wechatgateway_bench_funnel
# (recreated). Knobs: WG_BENCH_MEMBERS (1000000), WG_BENCH_STORES (50), WG_BENCH_CODES_PER_STORE (4), WG_BENCH_RUNS (30).
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
PROJECT="bench/funnel"
if [[ "${1:-}" != "--no-build" ]]; then
  (cd "$ROOT" && dotnet build "$PROJECT" -c Release -nologo -v quiet)
fi
cd "$ROOT" && exec dotnet run -c Release --no-build --project "$PROJECT"
