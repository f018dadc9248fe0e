#!/usr/bin/env bash
# The member resolution benchmark (bench/README.md, "Member resolution"): BenchmarkDotNet runs MemberResolver against
# the real MariaDB and Redis at several population sizes and writes bench/results/members-<date>.md.
#
#   bench/members.sh [--no-build]
#
# MariaDB and Redis come from deploy/local/lib.sh (reused when already running; WG_MYSQL_PORT and WG_REDIS_PORT as
# there). The benchmark uses the database wechatgateway_bench_members (recreated and seeded when it does not hold the
# population being measured, kept otherwise) and Redis database 7 (flushed). Knobs (environment):
#   WG_BENCH_MEMBERS=10000,1000000,10000000   populations, in this order (seeding 10M takes 2 to 2.5 minutes)
#   WG_BENCH_MYSQL, WG_BENCH_REDIS             servers to use instead of deploy/local's (server-level MySQL string)
# With the defaults a run takes 4 to 5 minutes on 2 cores, half of it seeding; a rerun of the last population only
# (WG_BENCH_MEMBERS=10000000) reuses its seed.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
BUILD=1
for arg in "$@"; do
  case "$arg" in
    --no-build) BUILD=0 ;;
    -h | --help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) printf 'unknown argument: %s (try --help)\n' "$arg" >&2; exit 2 ;;
  esac
done

# shellcheck source=../deploy/local/lib.sh
source "$ROOT/deploy/local/lib.sh"
if [[ -z "${WG_BENCH_MYSQL:-}" ]]; then
  wg_start_services
  trap wg_stop_started_services EXIT
fi
export WG_BENCH_MYSQL="${WG_BENCH_MYSQL:-Server=127.0.0.1;Port=$WG_MYSQL_PORT;User ID=wg;Password=wg}"
export WG_BENCH_REDIS="${WG_BENCH_REDIS:-127.0.0.1:$WG_REDIS_PORT}"
export WG_BENCH_MEMBERS="${WG_BENCH_MEMBERS:-10000,1000000,10000000}"

PROJECT="bench/MemberResolution"
if ((BUILD == 1)); then
  for attempt in 1 2 3 4 5; do
    if out="$(cd "$ROOT" && dotnet build "$PROJECT" -c Release -nologo -v quiet 2>&1)"; then
      break
    fi
    # Another engineer's build holding a file is not our failure: wait and try again.
    if ((attempt < 5)) && grep -qiE 'being used by another process|MSB3021|MSB3026|MSB3027|CS2012|lock' <<<"$out"; then
      wg_warn "building $PROJECT hit a file lock (another build?); retrying in 10 s"
      sleep 10
      continue
    fi
    printf '%s\n' "$out" >&2
    wg_die "building $PROJECT failed"
  done
fi

ARTIFACTS="$WG_DATA/bench-members"
STAMP="$(date -u +%Y-%m-%d-%H%M)"
REPORT="$BENCH_DIR/results/members-$STAMP.md"
LOG="$ARTIFACTS/run-$STAMP.log"
rm -rf "$ARTIFACTS/results"
mkdir -p "$ARTIFACTS" "$BENCH_DIR/results"

bench_sql() {
  "$(wg_mysql_client_bin)" --no-defaults --protocol=tcp -h127.0.0.1 -P"$WG_MYSQL_PORT" -uwg -pwg -N -B "$@"
}

# What else uses the machine right now: the CPU summary and the five busiest processes over a 2 s sample.
machine_sample() {
  top -b -n2 -d2 -w 200 | awk '/^top -/ { n++ } n == 2' | sed -n '1p;3p;7,12p' | cut -c1-160
}
# CPU seconds: the whole machine (busy = not idle, not iowait), this shell's finished children (the benchmark), and
# the MariaDB and Redis it talks to. What is left during the run is someone else's work competing for the 2 cores.
CLK_TCK="$(getconf CLK_TCK)"
machine_busy() { head -1 /proc/stat | awk -v k="$CLK_TCK" '{ t = 0; for (i = 2; i <= NF; i++) t += $i; printf "%.2f", (t - $5 - $6) / k }'; }
# FILE holds the output of the builtin `times`, which must run in this shell (a subshell has no such children).
children_cpu() { tail -1 "$1" | sed 's/[ms]/ /g' | awk '{ printf "%.2f", $1 * 60 + $2 + $3 * 60 + $4 }'; }
listener_cpu() {
  local pid
  pid="$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -oE 'pid=[0-9]+' | head -1 | cut -d= -f2)"
  if [[ -n "$pid" && -r "/proc/$pid/stat" ]]; then
    sed -E 's/^[0-9]+ \(.*\) //' "/proc/$pid/stat" | awk -v k="$CLK_TCK" '{ printf "%.2f", ($12 + $13) / k }'
  else
    echo 0
  fi
}
cpu_snapshot() { printf '%s %s %s %s' "$(machine_busy)" "$(children_cpu "$1")" "$(listener_cpu "$WG_MYSQL_PORT")" "$(listener_cpu "$WG_REDIS_PORT")"; }

BUSY_BEFORE="$(machine_sample)"
wg_log "before the run: $(uptime)"
wg_log "members: $WG_BENCH_MEMBERS (log: ${LOG#"$ROOT"/})"

times >"$ARTIFACTS/times-before.txt"
CPU_BEFORE="$(cpu_snapshot "$ARTIFACTS/times-before.txt")"
RUN_START="$SECONDS"
# The command of bench/README.md, with --no-build (built above, with retries) and the artifacts out of the tree.
(cd "$ROOT" && dotnet run -c Release --no-build --project "$PROJECT" -- --filter '*' --artifacts "$ARTIFACTS") 2>&1 | tee "$LOG"
times >"$ARTIFACTS/times-after.txt"
CPU_AFTER="$(cpu_snapshot "$ARTIFACTS/times-after.txt")"
RUN_SECONDS=$((SECONDS - RUN_START))
BUSY_AFTER="$(machine_sample)"
CPU_LINE="$(awk -v a="$CPU_BEFORE" -v b="$CPU_AFTER" -v w="$RUN_SECONDS" -v c="$(nproc)" 'BEGIN {
  split(a, x, " "); split(b, y, " ")
  busy = y[1] - x[1]; bench = y[2] - x[2]; db = y[3] - x[3]; redis = y[4] - x[4]; other = busy - bench - db - redis
  printf "%d s wall on %d cores (%d core-seconds): benchmark process %.0f, MariaDB %.0f (for all its clients), Redis %.0f, everything else (other processes, kernel threads) %.0f (%.0f%% of the machine), idle %.0f", \
    w, c, w * c, bench, db, redis, (other < 0 ? 0 : other), (w > 0 ? 100 * (other < 0 ? 0 : other) / (w * c) : 0), w * c - busy }')"
wg_log "CPU during the run: $CPU_LINE"

TABLE="$(find "$ARTIFACTS/results" -name '*-report-github.md' 2>/dev/null | head -1)"
[[ -n "$TABLE" ]] || wg_die "BenchmarkDotNet wrote no markdown report (log: $LOG)"
# shellcheck disable=SC2016 # the backticks are Markdown
{
  printf '# Member resolution benchmark, %s\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'Command: `bench/members.sh%s` with WG_BENCH_MEMBERS=%s; took %s s including the build and the seeding.\n\n' "${*:+ $*}" "$WG_BENCH_MEMBERS" "$SECONDS"
  printf 'Code: %s plus %s uncommitted changes under src/ and bench/; MariaDB %s (innodb_buffer_pool_size %s MiB), Redis %s.\n\n' \
    "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    "$(git -C "$ROOT" status --porcelain -- src bench 2>/dev/null | wc -l)" \
    "$(bench_sql -e 'SELECT VERSION()')" "$(bench_sql -e 'SELECT @@innodb_buffer_pool_size DIV 1048576')" \
    "$(redis-cli -h 127.0.0.1 -p "$WG_REDIS_PORT" info server | tr -d '\r' | sed -n 's/^redis_version://p')"
  printf 'CPU seconds during the run: %s.\n\n' "$CPU_LINE"
  printf 'The machine before the run (`top`, 2 s sample):\n\n```\n%s\n```\n\nand right after it:\n\n```\n%s\n```\n\n' "$BUSY_BEFORE" "$BUSY_AFTER"
  cat "$TABLE"
  printf '\n## Seeding, table sizes and InnoDB page reads per call\n\nPage reads are server-wide counters over all calls of a benchmark (warm-up included); anything else using this MariaDB meanwhile adds to them.\n\n```\n'
  sed -n 's/^WGBENCH //p' "$LOG" | awk '!seen[$0]++'
  printf '```\n'
} >"$REPORT"
wg_log "report: ${REPORT#"$ROOT"/}; took ${SECONDS}s"
