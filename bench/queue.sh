#!/usr/bin/env bash
# The send-queue benchmark (bench/README.md, "Send queue"): sends per second through the queue (outbox in MySQL,
# relay, Redis Stream, dispatcher, WeChat API client) to an in-process simulator, beside a bare Redis
# XADD/XREADGROUP/XACK loop over as many entries in the same run, and the ratio.
#
#   bench/queue.sh [--no-build]
#
# Uses the MariaDB and Redis already running (WG_BENCH_MYSQL, server-level; WG_BENCH_REDIS), the database
# wechatgateway_bench_queue (recreated) and Redis database 5 (flushed; WG_BENCH_REDIS_DB; 9 to 13 are the tests'). Knobs: WG_BENCH_SENDS
# (40000), WG_BENCH_PRODUCERS (4), WG_BENCH_BATCH (500), WG_BENCH_CONCURRENCY (64), WG_BENCH_WARMUP
# (60000, the JIT's tier-up), WG_BENCH_PRELOAD=1 (add everything first), WG_BENCH_STAGES=1 (then each stage alone, with CPU per send).
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
PROJECT="bench/QueueBench"
if [[ "${1:-}" != "--no-build" ]]; then
  (cd "$ROOT" && dotnet build "$PROJECT" -c Release -nologo -v quiet)
fi
cd "$ROOT" && exec dotnet run -c Release --no-build --project "$PROJECT"
