#!/usr/bin/env bash
# The webhook benchmark (bench/README.md): wrk against POST /wechat/{appId} with a distinct MsgId per request, in
# plaintext and safe (AES) mode, against the gateway with its real MySQL and Redis, and against a bare Kestrel
# baseline (bench/Baseline) in the same run with the same wrk settings. Prints a table, checks that every 200 left
# exactly one wechat_push row, stops everything it started and writes bench/results/webhook-<date>.md.
#
#   bench/webhook.sh [--no-build]
#
# Loopback only. MariaDB and Redis come from deploy/local/lib.sh (reused when already running; WG_MYSQL_PORT and
# WG_REDIS_PORT as there); the gateway gets its own database wechatgateway_bench (dropped and recreated at each run, so
# MsgIds stay unique) and Redis database 8 (flushed); BENCH_EXTERNAL_SERVERS=1 uses servers already running on those
# ports instead of deploy/local's. Knobs (environment):
#   BENCH_DURATION=15  BENCH_WARMUP=5  BENCH_GATEWAY_WARMUP=15  BENCH_THREADS=2  BENCH_CONNECTIONS=32
#   BENCH_FOLLOWERS=10000
#   BENCH_RATE=2000  BENCH_RATE_DURATION=10   (fixed-rate checks in safe mode; BENCH_RATE=0 skips them)
# With the defaults the run takes about 2.5 minutes after the build.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
COMMAND_LINE="bench/webhook.sh${*:+ $*}"

DURATION="${BENCH_DURATION:-15}"
WARMUP="${BENCH_WARMUP:-5}"
GATEWAY_WARMUP="${BENCH_GATEWAY_WARMUP:-15}"
THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
FOLLOWERS="${BENCH_FOLLOWERS:-10000}"
RATE="${BENCH_RATE:-2000}"
RATE_DURATION="${BENCH_RATE_DURATION:-10}"
BUILD=1
for arg in "$@"; do
  case "$arg" in
    --no-build) BUILD=0 ;;
    -h | --help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) printf 'unknown argument: %s (try --help)\n' "$arg" >&2; exit 2 ;;
  esac
done

# --- MariaDB, Redis and the tools ---------------------------------------------------------------------------------

if [[ -f "$ROOT/deploy/local/lib.sh" && "${BENCH_EXTERNAL_SERVERS:-0}" != 1 ]]; then
  # shellcheck source=../deploy/local/lib.sh
  source "$ROOT/deploy/local/lib.sh"
  wg_install_packages
  command -v wrk >/dev/null 2>&1 || wg_apt_install wrk
  wg_start_mariadb
  wg_start_redis
else
  # BENCH_EXTERNAL_SERVERS=1 (or no deploy scripts): MariaDB and Redis already running on WG_MYSQL_PORT and
  # WG_REDIS_PORT, with the user wg/wg that deploy/local creates, allowed to create databases named wechatgateway*.
  WG_MYSQL_PORT="${WG_MYSQL_PORT:-3306}"
  WG_REDIS_PORT="${WG_REDIS_PORT:-6379}"
  WG_MYSQL_CS="${WG_MYSQL_CS:-Server=127.0.0.1;Port=$WG_MYSQL_PORT;User ID=wg;Password=wg;Database=wechatgateway}"
  WG_REDIS_CS="${WG_REDIS_CS:-127.0.0.1:$WG_REDIS_PORT}"
  wg_log() { printf '==> %s\n' "$*"; }
  wg_warn() { printf 'warning: %s\n' "$*" >&2; }
  wg_die() { printf 'error: %s\n' "$*" >&2; exit 1; }
  if ! command -v wrk >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk </dev/null || wg_die "wrk is missing and apt-get could not install it"
  fi
fi
for tool in dotnet wrk curl python3 redis-cli ss; do
  command -v "$tool" >/dev/null 2>&1 || wg_die "$tool is required"
done
MYSQL_CLIENT="$(command -v mariadb 2>/dev/null || command -v mysql)" || wg_die "the mariadb (or mysql) client is required"

BENCH_DB="wechatgateway_bench"
BENCH_REDIS_DB=8
MYSQL_CS="$(sed -E "s/(^|;)[[:space:]]*Database=[^;]*/\1Database=$BENCH_DB/I" <<<"$WG_MYSQL_CS")"
[[ "$MYSQL_CS" == *"Database=$BENCH_DB"* ]] || MYSQL_CS="$MYSQL_CS;Database=$BENCH_DB"
REDIS_CS="$WG_REDIS_CS,defaultDatabase=$BENCH_REDIS_DB"

bench_sql() {
  "$MYSQL_CLIENT" --no-defaults --protocol=tcp -h127.0.0.1 -P"$WG_MYSQL_PORT" -uwg -pwg -N -B "$@"
}

WORK="$ROOT/.data/bench"
LOGS="$WORK/logs"
rm -rf "$WORK"
mkdir -p "$LOGS" "$BENCH_DIR/results"

# --- processes this script starts, and their end ------------------------------------------------------------------

PIDS=()
stop_pid() {
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    stop_pid "$pid"
  done
  PIDS=()
  if declare -F wg_stop_started_services >/dev/null; then
    wg_stop_started_services
  fi
  rm -f "$WORK"/*.txt
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start NAME LOGFILE -- COMMAND...: runs in the background, records its PID in PIDS and in the variable NAME_PID.
start() {
  local name="$1" log="$2"
  shift 3
  "$@" >"$log" 2>&1 </dev/null &
  PIDS+=("$!")
  printf -v "${name}_PID" '%s' "$!"
}

wait_http() {
  local url="$1" pid="$2" log="$3" i
  for ((i = 0; i < 600; i++)); do
    if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$log" >&2 || true
      wg_die "the process behind $url exited during start-up (log: $log)"
    fi
    sleep 0.1
  done
  tail -n 40 "$log" >&2 || true
  wg_die "$url did not answer 200 within 60 s (log: $log)"
}

# --- build ----------------------------------------------------------------------------------------------------------

build() {
  local project="$1" attempt out
  for attempt in 1 2 3 4 5; do
    if out="$(dotnet build "$ROOT/$project" -c Release -nologo -v quiet 2>&1)"; then
      return 0
    fi
    # Another engineer's build holding a file is not our failure: wait and try again.
    if ((attempt < 5)) && grep -qiE 'being used by another process|MSB3021|MSB3026|MSB3027|CS2012|lock' <<<"$out"; then
      wg_warn "building $project hit a file lock (another build?); retrying in 10 s"
      sleep 10
      continue
    fi
    printf '%s\n' "$out" >&2
    wg_die "building $project failed"
  done
}

if ((BUILD == 1)); then
  # One at a time: the machine has two cores and others may be building too.
  for project in bench/Baseline bench/WebhookBench.Gen tools/WechatSimulator src/WechatGateway; do
    wg_log "dotnet build -c Release $project"
    build "$project"
  done
fi
BASELINE_DLL="$BENCH_DIR/Baseline/bin/Release/net10.0/Baseline.dll"
GEN_DLL="$BENCH_DIR/WebhookBench.Gen/bin/Release/net10.0/WebhookBench.Gen.dll"
SIMULATOR_DLL="$ROOT/tools/WechatSimulator/bin/Release/net10.0/WechatSimulator.dll"
GATEWAY_DLL="$ROOT/src/WechatGateway/bin/Release/net10.0/WechatGateway.dll"
for dll in "$BASELINE_DLL" "$GEN_DLL" "$SIMULATOR_DLL" "$GATEWAY_DLL"; do
  [[ -f "$dll" ]] || wg_die "$dll is missing; run without --no-build"
done

# --- the machine, before anything of ours runs --------------------------------------------------------------------

CLK_TCK="$(getconf CLK_TCK)"
# PID and utime + stime of every process (the command name, which may hold spaces, removed).
process_ticks() {
  cat /proc/[0-9]*/stat 2>/dev/null | sed -E 's/^([0-9]+) \(.*\) /\1 /' | awk '{ print $1, $13 + $14 }' | sort -k1,1
}
MACHINE_CPU="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
MACHINE_CORES="$(nproc)"
MACHINE_MEM="$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
# What else uses the machine, sampled over 2 s before anything of ours starts.
ticks_a="$(process_ticks)"
read -r -a stat_a </proc/stat
sleep 2
read -r -a stat_b </proc/stat
ticks_b="$(process_ticks)"
BUSY_BEFORE="$(awk -v a="${stat_a[*]}" -v b="${stat_b[*]}" 'BEGIN {
  n = split(a, x, " "); split(b, y, " "); total = 0
  for (i = 2; i <= n; i++) total += y[i] - x[i]
  idle = (y[5] - x[5]) + (y[6] - x[6])
  printf "%.0f", (total > 0 ? 100 * (total - idle) / total : 0) }')"
OTHERS_BEFORE="$(join <(printf '%s\n' "$ticks_a") <(printf '%s\n' "$ticks_b") \
  | awk -v k="$CLK_TCK" '{ pct = 100 * ($3 - $2) / k / 2; if (pct >= 1) printf "%d %.0f\n", $1, pct }' | sort -k2,2nr | head -6 \
  | while read -r pid pct; do printf '%3s%% of a core  %s\n' "$pct" "$(ps -o args= -p "$pid" 2>/dev/null | cut -c1-120)"; done)"
wg_log "machine: $MACHINE_CORES cores ($MACHINE_CPU), load $LOAD_BEFORE, ${BUSY_BEFORE}% busy before the run"

# --- per-process CPU accounting -----------------------------------------------------------------------------------

proc_ticks() { # utime + stime of PID (0 when it is gone)
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || { echo 0; return; }
  sed -E 's/^([0-9]+) \(.*\) /\1 /' <<<"$stat" | awk '{ print $13 + $14 }'
}
machine_ticks() { # total and idle ticks
  head -1 /proc/stat | awk '{ t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $5 + $6 }'
}
listener_pid() {
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -oE 'pid=[0-9]+' | head -1 | cut -d= -f2
}
MARIADB_PID="$(listener_pid "$WG_MYSQL_PORT" || true)"
REDIS_PID="$(listener_pid "$WG_REDIS_PORT" || true)"

# --- wrk ------------------------------------------------------------------------------------------------------------

APP_ID="wxbench0000000001"
TOKEN="benchtoken2024"
AES_KEY="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TIMESTAMP="$(date +%s)"
NONCE="1357924680"
SIGNATURE="$(dotnet "$GEN_DLL" signature --token "$TOKEN" --timestamp "$TIMESTAMP" --nonce "$NONCE")"
PLAIN_QUERY="?signature=$SIGNATURE&timestamp=$TIMESTAMP&nonce=$NONCE"

declare -A R=()   # wrk results: R[label.key], from webhook.lua's WGBENCH line
declare -A CPU=() # CPU seconds per process and phase: CPU[label.process]
declare -A SQL=() # MariaDB statements per phase: SQL[label]

pid_of() {
  case "$1" in
    gateway) printf '%s' "${GATEWAY_PID:-}" ;;
    simulator) printf '%s' "${SIMULATOR_PID:-}" ;;
    baseline) printf '%s' "${BASELINE_PID:-}" ;;
    mariadb) printf '%s' "${MARIADB_PID:-}" ;;
    redis) printf '%s' "${REDIS_PID:-}" ;;
  esac
}
PROCESSES=(gateway mariadb redis simulator baseline)
seconds_of() { awk -v t="$1" -v k="$CLK_TCK" 'BEGIN { printf "%.2f", t / k }'; }
mysql_questions() { bench_sql -e "SHOW GLOBAL STATUS LIKE 'Questions'" | awk '{ print $2 }'; }

# run_wrk LABEL URL MODE SECONDS [VAR=VALUE...]: one wrk run; its WGBENCH line lands in R[LABEL.*] and the CPU each
# process used meanwhile in CPU[LABEL.*]. With STOP_AT_ROWS=N in the environment, wrk is interrupted (SIGINT: it
# still reports) once wechat_push holds N rows, SECONDS being then only the cap.
run_wrk() {
  local label="$1" url="$2" mode="$3" seconds="$4"
  shift 4
  local out="$LOGS/wrk-$label.txt" line kv name p used known=0 wrk_pid
  local -A before=()
  for name in "${PROCESSES[@]}"; do
    p="$(pid_of "$name")"
    before[$name]="$(if [[ -n "$p" ]]; then proc_ticks "$p"; else echo 0; fi)"
  done
  local machine_before questions_before
  machine_before="$(machine_ticks)"
  questions_before="$(mysql_questions)"

  wg_log "wrk $label: $mode mode, -t$THREADS -c$CONNECTIONS -d${seconds}s${RATE_LABEL:+ at $RATE_LABEL}${STOP_AT_ROWS:+, until $STOP_AT_ROWS pushes are recorded}"
  env WG_MODE="$mode" WG_THREADS="$THREADS" WG_PATH="/wechat/$APP_ID" WG_APP_ID="$APP_ID" \
    WG_QUERY="$PLAIN_QUERY" WG_TIMESTAMP="$TIMESTAMP" WG_FOLLOWERS="$FOLLOWERS" "$@" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --latency --timeout 5s \
    -s "$BENCH_DIR/wrk/webhook.lua" "$url" >"$out" 2>&1 &
  wrk_pid=$!
  local deadline=$((SECONDS + seconds + 60))
  while kill -0 "$wrk_pid" 2>/dev/null; do
    if ((SECONDS > deadline)); then
      kill -KILL "$wrk_pid" 2>/dev/null || true
      break
    fi
    if [[ -n "${STOP_AT_ROWS:-}" ]] && (($(bench_sql "$BENCH_DB" -e 'SELECT COUNT(*) FROM wechat_push') >= STOP_AT_ROWS)); then
      kill -INT "$wrk_pid" 2>/dev/null || true
      break
    fi
    sleep 0.5
  done
  if ! wait "$wrk_pid"; then
    cat "$out" >&2
    wg_die "wrk failed ($label)"
  fi
  line="$(sed -n 's/^WGBENCH //p' "$out")"
  [[ -n "$line" ]] || { cat "$out" >&2; wg_die "wrk printed no summary ($label)"; }
  for kv in $line; do
    R["$label.${kv%%=*}"]="${kv#*=}"
  done

  local machine_after total idle
  machine_after="$(machine_ticks)"
  SQL[$label]=$(($(mysql_questions) - questions_before))
  read -r total idle <<<"$(awk -v a="$machine_before" -v b="$machine_after" 'BEGIN { split(a, x, " "); split(b, y, " "); print y[1] - x[1], y[2] - x[2] }')"
  CPU["$label.wall"]="$(awk -v t="$total" -v c="$MACHINE_CORES" -v k="$CLK_TCK" 'BEGIN { printf "%.1f", t / c / k }')"
  CPU["$label.idle"]="$(seconds_of "$idle")"
  for name in "${PROCESSES[@]}"; do
    p="$(pid_of "$name")"
    used=$(($(if [[ -n "$p" ]]; then proc_ticks "$p"; else echo 0; fi) - ${before[$name]}))
    ((used >= 0)) || used=0
    known=$((known + used))
    CPU["$label.$name"]="$(seconds_of "$used")"
  done
  # Everything else busy in that window: wrk itself, the kernel's loopback networking, anything not ours.
  CPU["$label.other"]="$(awk -v t="$total" -v i="$idle" -v n="$known" -v k="$CLK_TCK" 'BEGIN { v = (t - i - n) / k; printf "%.2f", (v < 0 ? 0 : v) }')"
  printf '    %s req/s, p50 %s ms, p99 %s ms, non-2xx %s\n' "${R[$label.rps]}" "${R[$label.p50_ms]}" "${R[$label.p99_ms]}" "${R[$label.non2xx]}"
}

gen_safe() { # FILE COUNT MSGID_BASE
  dotnet "$GEN_DLL" safe --app-id "$APP_ID" --token "$TOKEN" --aes-key "$AES_KEY" --count "$2" \
    --msg-id-base "$3" --followers "$FOLLOWERS" --out "$1" >/dev/null
}

# Every phase has its own MsgId range, so its rows can be counted on their own.
MSGID_RANGE=1000000000000
GATEWAY_PHASES=(first-contact plain-warmup plain safe-warmup safe safe-half safe-rate)
declare -A MSGID_BASE=([first-contact]=1000000000000 [plain-warmup]=2000000000000 [plain]=3000000000000
  [safe-warmup]=4000000000000 [safe]=5000000000000 [safe-half]=6000000000000 [safe-rate]=7000000000000)

# Logging as appsettings.sample.json recommends for production (Microsoft.AspNetCore at Warning), for all three.
LOGGING=("Logging__LogLevel__Default=Information" "Logging__LogLevel__Microsoft.AspNetCore=Warning")

# --- 1. the baseline ----------------------------------------------------------------------------------------------

BASELINE_URL="http://127.0.0.1:$(free_port)"
wg_log "baseline: bare Kestrel on $BASELINE_URL"
start BASELINE "$LOGS/baseline.log" -- env "${LOGGING[@]}" dotnet "$BASELINE_DLL" --urls "$BASELINE_URL"
wait_http "$BASELINE_URL/healthz" "$BASELINE_PID" "$LOGS/baseline.log"
# The baseline ignores the body; it is measured with both request generators because wrk, on the same two cores,
# spends more building plaintext pushes in Lua than replaying pre-computed safe-mode ones.
gen_safe "$WORK/baseline-safe.txt" 20000 9000000000000
run_wrk baseline-warmup "$BASELINE_URL" plain "$WARMUP" WG_MSGID_BASE=9000000000000
run_wrk baseline-plain "$BASELINE_URL" plain "$DURATION" WG_MSGID_BASE=9000000000000
run_wrk baseline-safe "$BASELINE_URL" safe "$DURATION" WG_FILE="$WORK/baseline-safe.txt"
stop_pid "$BASELINE_PID"
BASELINE_PID=""

# --- 2. the gateway, with the simulator, MariaDB and Redis ---------------------------------------------------------

wg_log "fresh database $BENCH_DB and Redis database $BENCH_REDIS_DB"
bench_sql -e "DROP DATABASE IF EXISTS \`$BENCH_DB\`; CREATE DATABASE \`$BENCH_DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
redis-cli -h 127.0.0.1 -p "$WG_REDIS_PORT" -n "$BENCH_REDIS_DB" flushdb >/dev/null

SIMULATOR_URL="http://127.0.0.1:$(free_port)"
GATEWAY_URL="http://127.0.0.1:$(free_port)"
ACCOUNT=(
  "Wechat__Accounts__0__AppId=$APP_ID"
  "Wechat__Accounts__0__AppSecret=benchsecret0000000000000000000001"
  "Wechat__Accounts__0__Name=bench"
  "Wechat__Accounts__0__Type=OfficialAccount"
  "Wechat__Accounts__0__Token=$TOKEN"
  "Wechat__Accounts__0__EncodingAESKey=$AES_KEY"
  "Wechat__Accounts__0__ReplyMode=Passive"
)
wg_log "simulator on $SIMULATOR_URL, gateway on $GATEWAY_URL"
start SIMULATOR "$LOGS/simulator.log" -- env "${LOGGING[@]}" "${ACCOUNT[@]}" dotnet "$SIMULATOR_DLL" --urls "$SIMULATOR_URL"
start GATEWAY "$LOGS/gateway.log" -- env "${LOGGING[@]}" "${ACCOUNT[@]}" \
  "ConnectionStrings__MySql=$MYSQL_CS" \
  "ConnectionStrings__Redis=$REDIS_CS" \
  "Wechat__ApiBaseUrl=$SIMULATOR_URL" \
  "Wechat__ReplayWindowSeconds=0" \
  "Admin__ApiKeys__0__Name=bench" \
  "Admin__ApiKeys__0__Key=bench-admin-key-0000000000000001" \
  "Admin__ApiKeys__0__Role=Admin" \
  "Gateway__Roles=Web,Worker" \
  dotnet "$GATEWAY_DLL" --urls "$GATEWAY_URL"
wait_http "$SIMULATOR_URL/healthz" "$SIMULATOR_PID" "$LOGS/simulator.log"
wait_http "$GATEWAY_URL/readyz" "$GATEWAY_PID" "$LOGS/gateway.log"

# Every follower's first push creates its member; the measured phases then see returning followers, as a live account
# mostly does. Then a warm-up: a freshly started gateway runs 20-40% slower for its first ~15,000 requests, until
# tiered JIT settles.
STOP_AT_ROWS="$FOLLOWERS" run_wrk first-contact "$GATEWAY_URL" plain 60 WG_MSGID_BASE="${MSGID_BASE[first-contact]}"
run_wrk plain-warmup "$GATEWAY_URL" plain "$GATEWAY_WARMUP" WG_MSGID_BASE="${MSGID_BASE[plain-warmup]}"
run_wrk plain "$GATEWAY_URL" plain "$DURATION" WG_MSGID_BASE="${MSGID_BASE[plain]}"

# Safe-mode pushes are pre-computed, sized from the plaintext rate with room to spare (a wrap would re-send MsgIds).
per_second="$(printf '%.0f' "${R[plain.rps]}")"
wg_log "generating safe-mode pushes (sized for up to $((per_second * 2)) req/s)"
gen_safe "$WORK/safe-warmup.txt" $((per_second * 2 * WARMUP + 5000)) "${MSGID_BASE[safe-warmup]}"
gen_safe "$WORK/safe.txt" $((per_second * 2 * DURATION + 5000)) "${MSGID_BASE[safe]}"
run_wrk safe-warmup "$GATEWAY_URL" safe "$WARMUP" WG_FILE="$WORK/safe-warmup.txt"
run_wrk safe "$GATEWAY_URL" safe "$DURATION" WG_FILE="$WORK/safe.txt"
rm -f "$WORK/safe-warmup.txt" "$WORK/safe.txt"

if ((RATE > 0)); then
  # Two fixed rates: half of what safe mode sustained (latency without queueing), then the issue's target rate.
  HALF_RATE="$(awk -v r="${R[safe.rps]}" 'BEGIN { printf "%d", (r / 2 < 1 ? 1 : r / 2) }')"
  gen_safe "$WORK/safe-half.txt" $((HALF_RATE * RATE_DURATION * 3 / 2 + 5000)) "${MSGID_BASE[safe-half]}"
  RATE_LABEL="$HALF_RATE req/s" run_wrk safe-half "$GATEWAY_URL" safe "$RATE_DURATION" WG_FILE="$WORK/safe-half.txt" WG_RATE="$HALF_RATE"
  gen_safe "$WORK/safe-rate.txt" $((RATE * RATE_DURATION * 3 / 2 + 5000)) "${MSGID_BASE[safe-rate]}"
  RATE_LABEL="$RATE req/s" run_wrk safe-rate "$GATEWAY_URL" safe "$RATE_DURATION" WG_FILE="$WORK/safe-rate.txt" WG_RATE="$RATE"
  rm -f "$WORK/safe-half.txt" "$WORK/safe-rate.txt"
fi

# Let requests that wrk abandoned at its deadline finish, then read the gateway's own count before stopping it.
sleep 2
METRICS="$(curl -fsS --max-time 5 "$GATEWAY_URL/metrics" || true)"
server_outcome() {
  awk -v o="outcome=\"$1\"" 'index($0, "wechatgateway_webhook_pushes_total{") == 1 && index($0, o) { s += $NF } END { printf "%d", s }' <<<"$METRICS"
}
ACCEPTED_SERVER="$(server_outcome accepted)"
RETRY_SERVER="$(server_outcome retry)"
DEFERRED_SERVER="$(server_outcome deferred)"
GATEWAY_ERRORS="$(grep -c '"LogLevel":"Error"' "$LOGS/gateway.log" || true)"
GATEWAY_WARNINGS="$(grep -c '"LogLevel":"Warning"' "$LOGS/gateway.log" || true)"
stop_pid "$GATEWAY_PID"
stop_pid "$SIMULATOR_PID"
GATEWAY_PID=""
SIMULATOR_PID=""

# --- 3. no push lost, none recorded twice -------------------------------------------------------------------------

VERIFY_OK=1
VERIFY_ROWS=()
TOTAL_2XX=0
TOTAL_ROWS=0
for label in "${GATEWAY_PHASES[@]}"; do
  [[ -n "${R[$label.requests]:-}" ]] || continue
  base="${MSGID_BASE[$label]}"
  read -r rows distinct retried processed <<<"$(bench_sql "$BENCH_DB" -e "
    SELECT COUNT(*), COUNT(DISTINCT msg_id), COALESCE(SUM(deliveries > 1), 0), COALESCE(SUM(status = 'processed'), 0)
    FROM wechat_push WHERE app_id = '$APP_ID' AND msg_id BETWEEN $base AND $((base + MSGID_RANGE - 1))")"
  ok=$((${R[$label.requests]} - ${R[$label.non2xx]}))
  # wrk stops at its deadline with up to one request per connection sent but not yet answered; the gateway may
  # still record those (it cannot know the client left), so they may add rows without a 200 that wrk saw.
  unanswered=$((${R[$label.sent]} - ${R[$label.requests]}))
  verdict="ok"
  if ((rows < ok || rows > ok + unanswered || distinct != rows || retried != 0 || ${R[$label.wrapped]} != 0)); then
    verdict="MISMATCH"
    VERIFY_OK=0
  fi
  TOTAL_2XX=$((TOTAL_2XX + ok))
  TOTAL_ROWS=$((TOTAL_ROWS + rows))
  VERIFY_ROWS+=("| $label | $ok | $rows | $((rows - ok)) of $unanswered | $((rows - distinct)) | $retried | $((rows - processed)) | ${R[$label.wrapped]} | $verdict |")
done
ALL_ROWS="$(bench_sql "$BENCH_DB" -e "SELECT COUNT(*) FROM wechat_push")"
MEMBERS="n/a"
if [[ "$(bench_sql -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '$BENCH_DB' AND table_name = 'member'")" == 1 ]]; then
  MEMBERS="$(bench_sql "$BENCH_DB" -e "SELECT COUNT(*) FROM member")"
fi

# --- 4. report ----------------------------------------------------------------------------------------------------

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f%%", (b > 0 ? 100 * a / b : 0) }'; }
per_request() { awk -v s="$1" -v n="$2" -v f="$3" 'BEGIN { printf "%.0f", (n > 0 ? f * s / n : 0) }'; }
row() { # LABEL TARGET MODE RATIO
  local l="$1"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |' "$2" "$3" "${R[$l.rps]}" "${R[$l.p50_ms]}" "${R[$l.p90_ms]}" \
    "${R[$l.p99_ms]}" "${R[$l.max_ms]}" "${R[$l.non2xx]}" "$4"
}
RESULTS="| target | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | ratio to baseline |
|---|---|---:|---:|---:|---:|---:|---:|---:|
$(row baseline-plain "baseline (bare Kestrel)" "plaintext pushes" "100%")
$(row baseline-safe "baseline (bare Kestrel)" "safe-mode pushes" "100%")
$(row plain gateway "plaintext, returning followers" "$(ratio "${R[plain.rps]}" "${R[baseline-plain.rps]}")")
$(row safe gateway "safe (AES), returning followers" "$(ratio "${R[safe.rps]}" "${R[baseline-safe.rps]}")")
$(row first-contact gateway "plaintext, first push of each follower (creates the member)" "$(ratio "${R[first-contact.rps]}" "${R[baseline-plain.rps]}")")"
if [[ -n "${R[safe-rate.rps]:-}" ]]; then
  RATE_RESULTS="| target | requests | asked | achieved req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx |
|---|---|---:|---:|---:|---:|---:|---:|---:|
| gateway | safe (AES) | $HALF_RATE req/s (half of saturation) for ${RATE_DURATION}s | ${R[safe-half.rps]} | ${R[safe-half.p50_ms]} | ${R[safe-half.p90_ms]} | ${R[safe-half.p99_ms]} | ${R[safe-half.max_ms]} | ${R[safe-half.non2xx]} |
| gateway | safe (AES) | $RATE req/s for ${RATE_DURATION}s | ${R[safe-rate.rps]} | ${R[safe-rate.p50_ms]} | ${R[safe-rate.p90_ms]} | ${R[safe-rate.p99_ms]} | ${R[safe-rate.max_ms]} | ${R[safe-rate.non2xx]} |"
else
  RATE_RESULTS="(skipped: BENCH_RATE=0)"
fi

CPU_TABLE="| phase | requests | wall s | gateway | MariaDB | Redis | simulator | baseline | other (wrk, kernel) | idle | gateway µs/req | MariaDB µs/req | SQL statements/req |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for label in baseline-plain baseline-safe first-contact plain safe safe-half safe-rate; do
  [[ -n "${R[$label.requests]:-}" ]] || continue
  n="${R[$label.requests]}"
  statements="-"
  [[ "$label" == baseline-* ]] || statements="$(awk -v q="${SQL[$label]}" -v n="$n" 'BEGIN { printf "%.1f", (n > 0 ? q / n : 0) }')"
  CPU_TABLE+="
| $label | $n | ${CPU[$label.wall]} | ${CPU[$label.gateway]} | ${CPU[$label.mariadb]} | ${CPU[$label.redis]} | ${CPU[$label.simulator]} | ${CPU[$label.baseline]} | ${CPU[$label.other]} | ${CPU[$label.idle]} | $(per_request "${CPU[$label.gateway]}" "$n" 1e6) | $(per_request "${CPU[$label.mariadb]}" "$n" 1e6) | $statements |"
done

VERIFY_TABLE="| phase | 200s seen by wrk | wechat_push rows | rows without a 200 seen, of requests unanswered at wrk's deadline | duplicate MsgIds | rows delivered twice | rows not processed | safe-file wraps | check |
|---|---:|---:|---:|---:|---:|---:|---:|---|"
for row in "${VERIFY_ROWS[@]}"; do
  VERIFY_TABLE+="
$row"
done

GIT_REV="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
GIT_DIRTY="$(git -C "$ROOT" status --porcelain -- src tools 2>/dev/null | wc -l)"
STAMP="$(date -u +%Y-%m-%d-%H%M)"
REPORT="$BENCH_DIR/results/webhook-$STAMP.md"
SERVERS="MariaDB $(bench_sql -e 'SELECT VERSION()') on port $WG_MYSQL_PORT, Redis $(redis-cli -h 127.0.0.1 -p "$WG_REDIS_PORT" info server | tr -d '\r' | sed -n 's/^redis_version://p') on port $WG_REDIS_PORT ($([[ "${BENCH_EXTERNAL_SERVERS:-0}" == 1 ]] && echo 'already running, BENCH_EXTERNAL_SERVERS=1' || echo 'through deploy/local/lib.sh'))"

# shellcheck disable=SC2016 # the backticks are Markdown
{
  printf '# Webhook benchmark, %s\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'Command: `%s` with BENCH_DURATION=%s BENCH_WARMUP=%s BENCH_GATEWAY_WARMUP=%s BENCH_THREADS=%s BENCH_CONNECTIONS=%s BENCH_FOLLOWERS=%s BENCH_RATE=%s BENCH_RATE_DURATION=%s; took %s s including the build.\n\n' \
    "$COMMAND_LINE" "$DURATION" "$WARMUP" "$GATEWAY_WARMUP" "$THREADS" "$CONNECTIONS" "$FOLLOWERS" "$RATE" "$RATE_DURATION" "$SECONDS"
  printf 'Each row: `wrk -t%s -c%s -d%ss --latency --timeout 5s -s bench/wrk/webhook.lua URL`; every request a distinct MsgId from %s followers; one official account in passive reply mode; each safe-mode push carries its own msg_signature. Warm-up: %s s for the baseline; for the gateway the first-contact phase, then %s s of plaintext and %s s of safe mode before each is measured.\n\n' \
    "$THREADS" "$CONNECTIONS" "$DURATION" "$FOLLOWERS" "$WARMUP" "$GATEWAY_WARMUP" "$WARMUP"
  printf 'Machine: %s cores (%s), %s. wrk, the servers, MariaDB and Redis all share those cores over loopback. Before the run: load %s, %s%% busy over 2 s.\n\n' \
    "$MACHINE_CORES" "$MACHINE_CPU" "$MACHINE_MEM" "$LOAD_BEFORE" "$BUSY_BEFORE"
  printf 'Code: %s plus %s uncommitted changes under src/ and tools/; %s; %s; %s.\n\n' \
    "$GIT_REV" "$GIT_DIRTY" "$(dotnet --version | sed 's/^/.NET SDK /')" "$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)" "$SERVERS"
  printf '## Saturation (%s connections, closed loop)\n\n%s\n\n' "$CONNECTIONS" "$RESULTS"
  printf '## Fixed rate\n\nwrk2 is not packaged here: webhook.lua paces wrk (WG_RATE), and latency is measured from the actual send, not corrected for coordinated omission.\n\n%s\n\n' "$RATE_RESULTS"
  printf '## CPU seconds by process during each phase (%s cores)\n\n%s\n\n' "$MACHINE_CORES" "$CPU_TABLE"
  printf '## Every 200 is exactly one record\n\n%s\n\n' "$VERIFY_TABLE"
  printf 'All phases: %s 200s seen by wrk, %s rows (%s in wechat_push in all); the gateway counted %s accepted, %s retries, %s deferred (/metrics); %s members. Gateway log: %s errors, %s warnings. Check: **%s**.\n\n' \
    "$TOTAL_2XX" "$TOTAL_ROWS" "$ALL_ROWS" "$ACCEPTED_SERVER" "$RETRY_SERVER" "$DEFERRED_SERVER" "$MEMBERS" "$GATEWAY_ERRORS" "$GATEWAY_WARNINGS" \
    "$([[ $VERIFY_OK == 1 ]] && echo passed || echo FAILED)"
  printf 'Processes using 1%% of a core or more in the 2 s before the run:\n\n```\n%s\n```\n' "${OTHERS_BEFORE:-none}"
} >"$REPORT"

printf '\n%s\n\n%s\n\n%s\n\n%s\n\n' "$RESULTS" "$RATE_RESULTS" "$CPU_TABLE" "$VERIFY_TABLE"
wg_log "check: $TOTAL_2XX 200s seen by wrk, $TOTAL_ROWS wechat_push rows; gateway counted $ACCEPTED_SERVER accepted; $([[ $VERIFY_OK == 1 ]] && echo passed || echo FAILED)"
wg_log "report: ${REPORT#"$ROOT"/} (logs in ${LOGS#"$ROOT"/}, kept until the next run); took ${SECONDS}s"
[[ $VERIFY_OK == 1 ]] || exit 1
