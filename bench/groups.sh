#!/usr/bin/env bash
# The group-recommendation benchmark (bench/README.md, "Group recommendation"): GroupSteering.RankAsync over 10,000
# stores and 50,000 groups, with the geo index and without it.
#
#   bench/groups.sh [--no-build]
#
# Uses the MariaDB already running (WG_BENCH_MYSQL, server-level) and the database wechatgateway_bench_groups
# (recreated). Knobs: WG_BENCH_STORES (10000), WG_BENCH_GROUPS_PER_STORE (5), WG_BENCH_QUERIES (3000).
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
PROJECT="bench/groups"
if [[ "${1:-}" != "--no-build" ]]; then
  (cd "$ROOT" && dotnet build "$PROJECT" -c Release -nologo -v quiet)
fi
cd "$ROOT" && exec dotnet run -c Release --no-build --project "$PROJECT"
