#!/usr/bin/env bash
# The webhook benchmark (bench/README.md, issue 6 item 5). In one run, with the same wrk settings and the same
# pre-computed mixed traffic (texts, follows with QR scenes, LOCATION and CLICK events; every request its own push,
# nonce and signature): a bare Kestrel baseline (bench/Baseline), the peer (node-webot's `wechat` on express 5 with an
# echo handler, bench/peer), the durable ceiling (bench/Ceiling: signature, parse, one group-committed multi-row INSERT
# into the same MariaDB before the 200, nothing else) and the gateway (Gateway:Roles=Web,Worker, so pushes are processed during the run) with a
# Plain and a Safe account; then the gateway at a fixed rate. Reports req/s, p50/p99, non-2xx and ratios to the
# baseline, the peer and the ceiling, the gateway's RSS, the processing lag from MySQL, and checks that every 200 left exactly one
# wechat_push row, every recorded push reached `processed` and each handler wrote once per push. Stops everything it
# started and writes bench/results/webhook-<date>-<time>.md.
#
#   bench/webhook.sh [--no-build] [--help]
#
# Loopback only. MariaDB and Redis come from deploy/local/lib.sh (reused when already running; WG_MYSQL_PORT and
# WG_REDIS_PORT as there); BENCH_EXTERNAL_SERVERS=1 uses servers already running on those ports (default 3306, 6379)
# with the user wg/wg instead. The gateway gets the database wechatgateway_bench (dropped and recreated at each run)
# and Redis database 8 (flushed). Knobs (environment, defaults in brackets):
#   BENCH_DURATION [15]          seconds of each measured saturation run (baseline, peer, gateway plain and safe)
#   BENCH_WARMUP [5]             seconds of warm-up before the baseline and the peer, and before gateway safe mode
#   BENCH_GATEWAY_WARMUP [15]    seconds of plaintext warm-up of the gateway (tiered JIT) after first contact
#   BENCH_THREADS [1]            wrk -t
#   BENCH_CONNECTIONS [32]       wrk -c
#   BENCH_FOLLOWERS [50000]      followers per account; 4/5 are members before the measured phases (first contact),
#                                1/5 are new in each measured gateway phase and follow with a QR scene
#   BENCH_RATE [2000]            fixed rate (req/s) of the paced runs: the baseline (pacing accuracy) and the gateway
#                                in safe mode; 0 skips them
#   BENCH_RATE_DURATION [10]     seconds of each paced run
#   BENCH_STATELESS_LINES [100000]  pushes pre-computed per mode for the baseline and the peer (they store nothing,
#                                so a wrap, reported, only repeats work they do anyway)
#   BENCH_GATEWAY_MAX_RPS [8000] sizes the gateway's warm-up files (lines = rate x seconds); the measured files are
#                                sized from the warm-up's rate; a wrap would re-send pushes and fails the check
#   BENCH_PEER [1]               0 skips the peer (needs node and npm; `npm ci` in bench/peer when node_modules is missing)
#   BENCH_CEILING_WRITERS [2]    the ceiling's writer loops (each one connection, one multi-row INSERT per batch)
#   BENCH_DRAIN_TIMEOUT [900]    seconds to wait after each gateway phase for every recorded push to be processed
#   BENCH_GATEWAY_ROLES [Web,Worker]  Web alone measures the first stage (record and answer) without the processing stage;
#                                the drain waits then time out (set BENCH_DRAIN_TIMEOUT=1) and the processed checks fail
#   BENCH_PROFILE []             a gateway phase (plain, safe, safe-rate, ...) to sample with Linux perf (cpu-clock, 499 Hz,
#                                call graphs; the gateway then runs with DOTNET_PerfMapEnabled=1 and W^X off, so
#                                JIT-compiled frames have names); bench/profile_stages.py sorts the samples into the push path's stages,
#                                written to .data/bench/logs/profile-<phase>.txt and the report
#   BENCH_EXTERNAL_SERVERS [0]   1: MariaDB and Redis already run on WG_MYSQL_PORT / WG_REDIS_PORT; never started or stopped
#   BENCH_REDIS_CLUSTER [0]      1: the gateway's Redis is the three-master Redis Cluster of deploy/local
#                                (WG_REDIS_CLUSTER_PORTS, default 7001 7002 7003; every master flushed); Redis CPU sums its nodes
#   WG_MYSQL_PORT, WG_REDIS_PORT, WG_MYSQL_CS, WG_REDIS_CS   as in deploy/local
# Auto-replies: when bench/fixtures/auto-replies.json exists (a JSON array of request bodies), each is POSTed to
# /api/admin/auto-replies before the gateway's phases; a 404 (endpoint not there yet) skips them with a warning.
# Safe smoke run: BENCH_EXTERNAL_SERVERS=1 BENCH_DURATION=3 BENCH_WARMUP=1 BENCH_GATEWAY_WARMUP=2 \
#   BENCH_RATE_DURATION=3 BENCH_FOLLOWERS=2000 BENCH_STATELESS_LINES=20000 bench/webhook.sh
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
COMMAND_LINE="bench/webhook.sh${*:+ $*}"

DURATION="${BENCH_DURATION:-15}"
WARMUP="${BENCH_WARMUP:-5}"
GATEWAY_WARMUP="${BENCH_GATEWAY_WARMUP:-15}"
THREADS="${BENCH_THREADS:-1}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
FOLLOWERS="${BENCH_FOLLOWERS:-50000}"
RATE="${BENCH_RATE:-2000}"
RATE_DURATION="${BENCH_RATE_DURATION:-10}"
STATELESS_LINES="${BENCH_STATELESS_LINES:-100000}"
GATEWAY_MAX_RPS="${BENCH_GATEWAY_MAX_RPS:-8000}"
PEER="${BENCH_PEER:-1}"
DRAIN_TIMEOUT="${BENCH_DRAIN_TIMEOUT:-900}"
# Web alone measures the first stage (record and answer) without the processing stage competing for the cores.
GATEWAY_ROLES="${BENCH_GATEWAY_ROLES:-Web,Worker}"
PROFILE="${BENCH_PROFILE:-}"
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
bench_args "${BASH_SOURCE[0]}" "$@"
for knob in DURATION WARMUP GATEWAY_WARMUP THREADS CONNECTIONS FOLLOWERS RATE RATE_DURATION STATELESS_LINES GATEWAY_MAX_RPS DRAIN_TIMEOUT; do
  [[ "${!knob}" =~ ^[0-9]+$ ]] || { printf 'BENCH_%s must be a whole number, not %s\n' "$knob" "${!knob}" >&2; exit 2; }
done
((FOLLOWERS >= 5)) || { printf 'BENCH_FOLLOWERS must be at least 5\n' >&2; exit 2; }

# --- MariaDB, Redis and the tools ---------------------------------------------------------------------------------

WORK="$ROOT/.data/bench"
LOGS="$WORK/logs"
rm -rf "$WORK"
mkdir -p "$LOGS" "$BENCH_DIR/results"

bench_servers
if [[ -n "$PROFILE" ]] && ! command -v perf >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf </dev/null || wg_die "BENCH_PROFILE needs perf (Debian: linux-perf)"
fi
TOOLS=(dotnet wrk curl python3 redis-cli ss)
[[ "$PEER" == 1 ]] && TOOLS+=(node npm)
for tool in "${TOOLS[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || wg_die "$tool is required$([[ $tool == node || $tool == npm ]] && echo ' for the peer (BENCH_PEER=0 skips it)')"
done

BENCH_DB="wechatgateway_bench"
BENCH_REDIS_DB=8
MYSQL_CS="$(sed -E "s/(^|;)[[:space:]]*Database=[^;]*/\1Database=$BENCH_DB/I" <<<"$WG_MYSQL_CS")"
[[ "$MYSQL_CS" == *"Database=$BENCH_DB"* ]] || MYSQL_CS="$MYSQL_CS;Database=$BENCH_DB"


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
  for project in bench/Baseline bench/Ceiling bench/WebhookBench.Gen tools/WechatSimulator src/WechatGateway; do
    wg_log "dotnet build -c Release $project"
    build "$project"
  done
fi
BASELINE_DLL="$BENCH_DIR/Baseline/bin/Release/net10.0/Baseline.dll"
CEILING_DLL="$BENCH_DIR/Ceiling/bin/Release/net10.0/Ceiling.dll"
GEN_DLL="$BENCH_DIR/WebhookBench.Gen/bin/Release/net10.0/WebhookBench.Gen.dll"
SIMULATOR_DLL="$ROOT/tools/WechatSimulator/bin/Release/net10.0/WechatSimulator.dll"
GATEWAY_DLL="$ROOT/src/WechatGateway/bin/Release/net10.0/WechatGateway.dll"
for dll in "$BASELINE_DLL" "$CEILING_DLL" "$GEN_DLL" "$SIMULATOR_DLL" "$GATEWAY_DLL"; do
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

proc_ticks() { # utime + stime of the PIDs in $1 (space-separated: a cluster's nodes; 0 for one that is gone)
  local stat pid total=0
  for pid in $1; do
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || continue
    total=$((total + $(sed -E 's/^([0-9]+) \(.*\) /\1 /' <<<"$stat" | awk '{ print $13 + $14 }')))
  done
  echo "$total"
}
machine_ticks() { # total and idle ticks
  head -1 /proc/stat | awk '{ t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $5 + $6 }'
}
listener_pid() {
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -oE 'pid=[0-9]+' | head -1 | cut -d= -f2
}
MARIADB_PID="$(listener_pid "$WG_MYSQL_PORT" || true)"
REDIS_PID="$(bench_redis_pids || true)"

# --- the traffic ----------------------------------------------------------------------------------------------------

APP_PLAIN="wxbenchplain00001"
APP_SAFE="wxbenchsafe000001"
TOKEN="benchtoken2024"
AES_KEY="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
KNOWN=$((FOLLOWERS * 4 / 5))
# Events are told apart by FromUserName + CreateTime + Event (+ EventKey): every phase has its own CreateTime range
# (CREATE_BASE + phase number x 100000 s, in the past), which is also how its rows are found afterwards.
CREATE_BASE=$(($(date +%s) - 30 * 86400))
declare -A PHASE_NO=([baseline]=0 [first-contact-plain]=1 [first-contact-safe]=2 [plain-warmup]=3 [plain]=4
  [safe-warmup]=5 [safe]=6 [safe-rate]=7)
# One letter per phase: it starts every nonce of the phase and names the phase's new followers.
declare -A PHASE_TAG=([baseline]=b [first-contact-plain]=f [first-contact-safe]=g [plain-warmup]=w [plain]=p
  [safe-warmup]=v [safe]=s [safe-rate]=r)
create_time_base() { printf '%d' $((CREATE_BASE + ${PHASE_NO[$1]} * 100000)); }

declare -A R=()    # wrk results: R[label.key], from webhook.lua's WGBENCH line
declare -A CPU=()  # CPU seconds per process and phase: CPU[label.process]
declare -A SQL=()  # MariaDB statements per phase: SQL[label]
declare -A RSS=()  # max VmRSS (MiB) of the target during each phase
declare -A MIX=()  # pushes per type in each phase's file, from WebhookBench.Gen
declare -A LINES=() # lines in each phase's file
declare -A DRAIN=() # seconds until every push of the phase was processed

# gen PHASE KIND MODE APP COUNT FILE
gen() {
  local phase="$1" kind="$2" mode="$3" app="$4" count="$5" file="$6" key=()
  [[ "$mode" == safe ]] && key=(--aes-key "$AES_KEY")
  MIX[$phase]="$(dotnet "$GEN_DLL" pushes --kind "$kind" --mode "$mode" --app-id "$app" --token "$TOKEN" "${key[@]}" \
    --count "$count" --followers "$FOLLOWERS" --phase "${PHASE_TAG[$phase]}" \
    --msg-id-base $((${PHASE_NO[$phase]} * 1000000000000 + 1000000000000)) --create-time-base "$(create_time_base "$phase")" --out "$file")"
  LINES[$phase]="$count"
}

pid_of() {
  case "$1" in
    gateway) printf '%s' "${GATEWAY_PID:-}" ;;
    simulator) printf '%s' "${SIMULATOR_PID:-}" ;;
    baseline) printf '%s' "${BASELINE_PID:-}" ;;
    peer) printf '%s' "${PEER_PID:-}" ;;
    ceiling) printf '%s' "${CEILING_PID:-}" ;;
    mariadb) printf '%s' "${MARIADB_PID:-}" ;;
    redis) printf '%s' "${REDIS_PID:-}" ;;
  esac
}
PROCESSES=(gateway mariadb redis simulator baseline peer ceiling)
seconds_of() { awk -v t="$1" -v k="$CLK_TCK" 'BEGIN { printf "%.2f", t / k }'; }
mysql_questions() { bench_sql -e "SHOW GLOBAL STATUS LIKE 'Questions'" | awk '{ print $2 }'; }
rss_mib() { awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_mib() { awk '/^VmHWM:/ { printf "%d", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# Where the sampled phase's gateway CPU went, stage by stage (bench/profile_stages.py), and its hottest functions.
profile_report() {
  local label="$1" out="$LOGS/profile-$label.txt"
  perf script -i "$LOGS/profile-$label.perf" 2>/dev/null | python3 "$BENCH_DIR/profile_stages.py" >"$out" \
    || wg_warn "the profile of $label could not be read (see $out)"
  wg_log "profile of $label: $out"
}

# run_wrk LABEL URL PATH FILE SECONDS [VAR=VALUE...]: one wrk run over FILE; its WGBENCH line lands in R[LABEL.*],
# the CPU each process used meanwhile in CPU[LABEL.*], the target's (TARGET=name) max RSS in RSS[LABEL]. With
# STOP_AT_ROWS=N and STOP_APP=A, wrk (started with WG_ONCE=1) is interrupted once A has N wechat_push rows.
run_wrk() {
  local label="$1" url="$2" path="$3" file="$4" seconds="$5"
  shift 5
  local out="$LOGS/wrk-$label.txt" line kv name p used known=0 wrk_pid target_pid rss max_rss=0
  local -A before=()
  for name in "${PROCESSES[@]}"; do
    p="$(pid_of "$name")"
    before[$name]="$(if [[ -n "$p" ]]; then proc_ticks "$p"; else echo 0; fi)"
  done
  local machine_before questions_before
  machine_before="$(machine_ticks)"
  questions_before="$(mysql_questions)"
  target_pid="$(pid_of "${TARGET:-}")"

  wg_log "wrk $label: $path, -t$THREADS -c$CONNECTIONS -d${seconds}s${RATE_LABEL:+ at $RATE_LABEL}${STOP_AT_ROWS:+, until $STOP_AT_ROWS pushes are recorded}"
  env WG_THREADS="$THREADS" WG_PATH="$path" WG_FILE="$file" "$@" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --latency --timeout 5s \
    -s "$BENCH_DIR/wrk/webhook.lua" "$url" >"$out" 2>&1 &
  wrk_pid=$!
  WRK_PID="$wrk_pid"
  local trace_pid=""
  if [[ -n "$PROFILE" && "$label" == "$PROFILE" && "${TARGET:-}" == gateway ]]; then
    # Sampled for the phase minus a second at each end, so the profile holds only the load, not its ramp.
    sleep 1
    perf record -F 499 -g -p "$target_pid" -o "$LOGS/profile-$label.perf" -- sleep $((seconds > 3 ? seconds - 2 : 1)) \
      >"$LOGS/profile-$label.log" 2>&1 &
    trace_pid=$!
  fi
  local deadline=$((SECONDS + seconds + 60))
  while kill -0 "$wrk_pid" 2>/dev/null; do
    if ((SECONDS > deadline)); then
      kill -KILL "$wrk_pid" 2>/dev/null || true
      break
    fi
    if [[ -n "$target_pid" ]]; then
      rss="$(rss_mib "$target_pid")"
      ((rss > max_rss)) && max_rss="$rss"
    fi
    if [[ -n "${STOP_AT_ROWS:-}" ]] && (($(bench_sql "$BENCH_DB" -e "SELECT COUNT(*) FROM wechat_push WHERE app_id = '$STOP_APP'") >= STOP_AT_ROWS)); then
      kill -INT "$wrk_pid" 2>/dev/null || true
      break
    fi
    sleep 0.5
  done
  if ! wait "$wrk_pid"; then
    cat "$out" >&2
    wg_die "wrk failed ($label)"
  fi
  WRK_PID=""
  RSS[$label]="$max_rss"
  if [[ -n "$trace_pid" ]]; then
    wait "$trace_pid" || wg_warn "perf record failed (see $LOGS/profile-$label.log)"
    profile_report "$label"
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
  printf '    %s req/s, p50 %s ms, p99 %s ms, non-2xx %s, wraps %s, max RSS %s MiB\n' "${R[$label.rps]}" "${R[$label.p50_ms]}" \
    "${R[$label.p99_ms]}" "${R[$label.non2xx]}" "${R[$label.wrapped]}" "$max_rss"
}

# Logging as appsettings.sample.json recommends for production (Microsoft.AspNetCore at Warning).
LOGGING=("Logging__LogLevel__Default=Information" "Logging__LogLevel__Microsoft.AspNetCore=Warning")

# The baseline and the peer store nothing, so one pre-computed file per mode serves both (a wrap, reported, repeats
# only work they would do anyway); the mix is the measured phases' (a fifth of the followers new, following).
wg_log "pre-computing $STATELESS_LINES plaintext and $STATELESS_LINES safe-mode pushes for the baseline and the peer"
gen baseline mixed plain "$APP_PLAIN" "$STATELESS_LINES" "$WORK/stateless-plain.txt"
gen baseline mixed safe "$APP_SAFE" "$STATELESS_LINES" "$WORK/stateless-safe.txt"
STATELESS_MIX="${MIX[baseline]}"

# --- 1. the baseline ----------------------------------------------------------------------------------------------

BASELINE_URL="http://127.0.0.1:$(free_port)"
wg_log "baseline: bare Kestrel on $BASELINE_URL"
start BASELINE "$LOGS/baseline.log" -- env "${LOGGING[@]}" dotnet "$BASELINE_DLL" --urls "$BASELINE_URL"
wait_http "$BASELINE_URL/healthz" "$BASELINE_PID" "$LOGS/baseline.log"
export TARGET=baseline
run_wrk baseline-warmup "$BASELINE_URL" "/wechat/$APP_PLAIN" "$WORK/stateless-plain.txt" "$WARMUP"
run_wrk baseline-plain "$BASELINE_URL" "/wechat/$APP_PLAIN" "$WORK/stateless-plain.txt" "$DURATION"
run_wrk baseline-safe "$BASELINE_URL" "/wechat/$APP_SAFE" "$WORK/stateless-safe.txt" "$DURATION"
if ((RATE > 0)); then
  # The pacing's own accuracy: what the paced wrk achieves against a server that is never the bottleneck.
  RATE_LABEL="$RATE req/s" run_wrk baseline-rate "$BASELINE_URL" "/wechat/$APP_SAFE" "$WORK/stateless-safe.txt" "$RATE_DURATION" WG_RATE="$RATE"
fi
stop_pid "$BASELINE_PID"
BASELINE_PID=""

# --- 2. the peer: node-webot's wechat on express 5 -----------------------------------------------------------------

if [[ "$PEER" == 1 ]]; then
  PEER_DIR="$BENCH_DIR/peer"
  if [[ ! -d "$PEER_DIR/node_modules/wechat" || "$PEER_DIR/package-lock.json" -nt "$PEER_DIR/node_modules/.package-lock.json" ]]; then
    wg_log "npm ci in bench/peer"
    (cd "$PEER_DIR" && npm ci --no-audit --no-fund >"$LOGS/npm-ci.log" 2>&1) || { cat "$LOGS/npm-ci.log" >&2; wg_die "npm ci in bench/peer failed"; }
  fi
  PEER_VERSIONS="node $(node --version), wechat $(node -p "require('$PEER_DIR/node_modules/wechat/package.json').version"), express $(node -p "require('$PEER_DIR/node_modules/express/package.json').version")"
  PEER_PORT="$(free_port)"
  PEER_URL="http://127.0.0.1:$PEER_PORT"
  wg_log "peer: $PEER_VERSIONS on $PEER_URL"
  start PEER "$LOGS/peer.log" -- env NODE_ENV=production PEER_PORT="$PEER_PORT" PEER_TOKEN="$TOKEN" PEER_PLAIN_APP_ID="$APP_PLAIN" \
    PEER_SAFE_APP_ID="$APP_SAFE" PEER_AES_KEY="$AES_KEY" node "$PEER_DIR/server.js"
  wait_http "$PEER_URL/healthz" "$PEER_PID" "$LOGS/peer.log"
  export TARGET=peer
  run_wrk peer-warmup "$PEER_URL" "/wechat/$APP_PLAIN" "$WORK/stateless-plain.txt" "$WARMUP"
  run_wrk peer-plain "$PEER_URL" "/wechat/$APP_PLAIN" "$WORK/stateless-plain.txt" "$DURATION"
  run_wrk peer-safe "$PEER_URL" "/wechat/$APP_SAFE" "$WORK/stateless-safe.txt" "$DURATION"
  stop_pid "$PEER_PID"
  PEER_PID=""
fi

# --- 3. the durable ceiling: the most any design answers when the push is committed before the 200 -----------------

CEILING_DB="wechatgateway_bench_ceiling"
CEILING_WRITERS="${BENCH_CEILING_WRITERS:-2}"
bench_sql -e "DROP DATABASE IF EXISTS \`$CEILING_DB\`; CREATE DATABASE \`$CEILING_DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
CEILING_CS="$(sed -E "s/(^|;)[[:space:]]*Database=[^;]*/\1Database=$CEILING_DB/I" <<<"$WG_MYSQL_CS")"
[[ "$CEILING_CS" == *"Database=$CEILING_DB"* ]] || CEILING_CS="$CEILING_CS;Database=$CEILING_DB"
CEILING_URL="http://127.0.0.1:$(free_port)"
wg_log "ceiling: signature, parse, group commit ($CEILING_WRITERS writers) on $CEILING_URL"
start CEILING "$LOGS/ceiling.log" -- env "${LOGGING[@]}" CEILING_MYSQL="$CEILING_CS" CEILING_WRITERS="$CEILING_WRITERS" \
  CEILING_ACCOUNTS="$APP_PLAIN:$TOKEN:Plain;$APP_SAFE:$TOKEN:Safe:$AES_KEY" dotnet "$CEILING_DLL" --urls "$CEILING_URL"
wait_http "$CEILING_URL/healthz" "$CEILING_PID" "$LOGS/ceiling.log"
export TARGET=ceiling
run_wrk ceiling-warmup "$CEILING_URL" "/wechat/$APP_PLAIN" "$WORK/stateless-plain.txt" "$WARMUP"
run_wrk ceiling-plain "$CEILING_URL" "/wechat/$APP_PLAIN" "$WORK/stateless-plain.txt" "$DURATION"
run_wrk ceiling-safe "$CEILING_URL" "/wechat/$APP_SAFE" "$WORK/stateless-safe.txt" "$DURATION"
stop_pid "$CEILING_PID"
CEILING_PID=""
# Every 200 it gave is a committed row (a wrap of the file repeats a push, which its unique key keeps once).
CEILING_ROWS="$(bench_sql "$CEILING_DB" -e "SELECT COUNT(*) FROM ceiling_push")"
CEILING_OK=0
CEILING_UNANSWERED=0
CEILING_WRAPS=0
for label in ceiling-warmup ceiling-plain ceiling-safe; do
  ok=$((${R[$label.requests]} - ${R[$label.non2xx]} - ${R[$label.healthz]}))
  CEILING_OK=$((CEILING_OK + ok))
  # Requests sent but unanswered at wrk's deadline may still be committed after it left.
  unanswered=$((${R[$label.sent]} - ok - ${R[$label.non2xx]}))
  ((unanswered < 0)) || CEILING_UNANSWERED=$((CEILING_UNANSWERED + unanswered))
  CEILING_WRAPS=$((CEILING_WRAPS + ${R[$label.wrapped]}))
done
if ((CEILING_ROWS > CEILING_OK + CEILING_UNANSWERED)) || ((CEILING_WRAPS == 0 && CEILING_ROWS < CEILING_OK)); then
  wg_warn "ceiling: $CEILING_OK 200s but $CEILING_ROWS rows"
  VERIFY_CEILING="MISMATCH: $CEILING_OK 200s, $CEILING_ROWS rows"
  CEILING_MISMATCH=1
else
  VERIFY_CEILING="$CEILING_OK 200s, $CEILING_ROWS rows ($CEILING_UNANSWERED in flight at wrk's deadlines; $CEILING_WRAPS wraps, each repeating a push its unique key keeps once): ok"
fi
bench_sql -e "DROP DATABASE \`$CEILING_DB\`"
rm -f "$WORK/stateless-plain.txt" "$WORK/stateless-safe.txt"

# --- 4. the gateway, with the simulator, MariaDB and Redis ---------------------------------------------------------

wg_log "fresh database $BENCH_DB and Redis $([[ "${BENCH_REDIS_CLUSTER:-0}" == 1 ]] && echo "Cluster $WG_REDIS_CLUSTER_CS" || echo "database $BENCH_REDIS_DB")"
bench_sql -e "DROP DATABASE IF EXISTS \`$BENCH_DB\`; CREATE DATABASE \`$BENCH_DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
REDIS_CS="$(bench_redis "$BENCH_REDIS_DB")"

SIMULATOR_URL="http://127.0.0.1:$(free_port)"
GATEWAY_URL="http://127.0.0.1:$(free_port)"
ADMIN_KEY="bench-admin-key-0000000000000001"
ACCOUNTS=(
  "Wechat__Accounts__0__AppId=$APP_PLAIN"
  "Wechat__Accounts__0__AppSecret=benchsecret0000000000000000000001"
  "Wechat__Accounts__0__Name=bench plaintext"
  "Wechat__Accounts__0__Type=OfficialAccount"
  "Wechat__Accounts__0__Token=$TOKEN"
  "Wechat__Accounts__0__SecurityMode=Plain"
  "Wechat__Accounts__0__ReplyMode=Passive"
  "Wechat__Accounts__1__AppId=$APP_SAFE"
  "Wechat__Accounts__1__AppSecret=benchsecret0000000000000000000002"
  "Wechat__Accounts__1__Name=bench safe"
  "Wechat__Accounts__1__Type=OfficialAccount"
  "Wechat__Accounts__1__Token=$TOKEN"
  "Wechat__Accounts__1__EncodingAESKey=$AES_KEY"
  "Wechat__Accounts__1__SecurityMode=Safe"
  "Wechat__Accounts__1__ReplyMode=Passive"
)
wg_log "simulator on $SIMULATOR_URL, gateway on $GATEWAY_URL (Gateway:Roles=$GATEWAY_ROLES)"
start SIMULATOR "$LOGS/simulator.log" -- env "${LOGGING[@]}" "${ACCOUNTS[@]}" dotnet "$SIMULATOR_DLL" --urls "$SIMULATOR_URL"
# The replay window stays on (the replay guard's Redis check is part of the path) but wide enough for files
# generated minutes before they are sent.
start GATEWAY "$LOGS/gateway.log" -- env "${LOGGING[@]}" "${ACCOUNTS[@]}" \
  "DOTNET_PerfMapEnabled=$([[ -n "$PROFILE" ]] && echo 1 || echo 0)" \
  "DOTNET_EnableWriteXorExecute=$([[ -n "$PROFILE" ]] && echo 0 || echo 1)" \
  "ConnectionStrings__MySql=$MYSQL_CS" \
  "ConnectionStrings__Redis=$REDIS_CS" \
  "Wechat__ApiBaseUrl=$SIMULATOR_URL" \
  "Wechat__ReplayWindowSeconds=3600" \
  "Admin__ApiKeys__0__Name=bench" \
  "Admin__ApiKeys__0__Key=$ADMIN_KEY" \
  "Admin__ApiKeys__0__Role=Admin" \
  "Gateway__Roles=$GATEWAY_ROLES" \
  dotnet "$GATEWAY_DLL" --urls "$GATEWAY_URL"
wait_http "$SIMULATOR_URL/healthz" "$SIMULATOR_PID" "$LOGS/simulator.log"
wait_http "$GATEWAY_URL/readyz" "$GATEWAY_PID" "$LOGS/gateway.log"
export TARGET=gateway

AUTO_REPLIES="none (no bench/fixtures/auto-replies.json)"
FIXTURE="$BENCH_DIR/fixtures/auto-replies.json"
if [[ -f "$FIXTURE" ]]; then
  count="$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert isinstance(d, list), "not a JSON array"; print(len(d))' "$FIXTURE")" \
    || wg_die "$FIXTURE must be a JSON array of auto-reply bodies"
  AUTO_REPLIES="$count from bench/fixtures/auto-replies.json"
  for ((i = 0; i < count; i++)); do
    body="$(python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))[int(sys.argv[2])], ensure_ascii=False))' "$FIXTURE" "$i")"
    status="$(curl -sS -o "$LOGS/auto-reply-$i.json" -w '%{http_code}' --max-time 10 -X POST "$GATEWAY_URL/api/admin/auto-replies" \
      -H "Authorization: Bearer $ADMIN_KEY" -H 'Content-Type: application/json' --data-binary "$body")" || status=000
    if [[ "$status" == 404 ]]; then
      wg_warn "POST /api/admin/auto-replies answered 404 (not there yet): running without auto-replies"
      AUTO_REPLIES="none: $count in bench/fixtures/auto-replies.json, but POST /api/admin/auto-replies answered 404"
      break
    fi
    [[ "$status" == 2?? ]] || { cat "$LOGS/auto-reply-$i.json" >&2; wg_die "auto-reply $i of $FIXTURE answered $status"; }
  done
  wg_log "auto-replies: $AUTO_REPLIES"
fi

# phase_where PHASE APP: the SQL condition that selects the phase's rows.
phase_where() {
  local base
  base="$(create_time_base "$1")"
  printf "app_id = '%s' AND create_time BETWEEN %d AND %d" "$2" "$base" $((base + 99999))
}
# drain PHASE: waits until no push is left in status `recorded` (the worker stage is behind the answer).
drain() {
  local started=$SECONDS left
  while :; do
    left="$(bench_sql "$BENCH_DB" -e "SELECT COUNT(*) FROM wechat_push WHERE status = 'recorded'")"
    ((left == 0)) && break
    if ((SECONDS - started > DRAIN_TIMEOUT)); then
      wg_warn "$left pushes still recorded but not processed after ${DRAIN_TIMEOUT}s ($1)"
      break
    fi
    sleep 0.2
  done
  DRAIN[$1]=$((SECONDS - started))
}

# First contact (the four fifths of the followers who are members already): each follows once, without a scene,
# through the gateway itself, so their members, identities and follow rows are exactly what the gateway makes.
for mode in plain safe; do
  phase="first-contact-$mode"
  app="$([[ $mode == plain ]] && echo "$APP_PLAIN" || echo "$APP_SAFE")"
  gen "$phase" first-contact "$mode" "$app" "$KNOWN" "$WORK/$phase.txt"
  STOP_AT_ROWS="$KNOWN" STOP_APP="$app" run_wrk "$phase" "$GATEWAY_URL" "/wechat/$app" "$WORK/$phase.txt" 600 WG_ONCE=1
  rm -f "$WORK/$phase.txt"
  drain "$phase"
done

# Warm-up (tiered JIT settles over the first ~15,000 requests), then the measured phase, per mode; the measured file is
# sized from the warm-up's rate with room to spare.
measured() { # PHASE MODE APP
  local phase="$1" mode="$2" app="$3" warm="$1-warmup" seconds per_second
  seconds="$([[ $mode == plain ]] && echo "$GATEWAY_WARMUP" || echo "$WARMUP")"
  gen "$warm" returning "$mode" "$app" $((GATEWAY_MAX_RPS * seconds + 1000)) "$WORK/$warm.txt"
  run_wrk "$warm" "$GATEWAY_URL" "/wechat/$app" "$WORK/$warm.txt" "$seconds"
  rm -f "$WORK/$warm.txt"
  drain "$warm"
  per_second="$(printf '%.0f' "${R[$warm.rps]}")"
  gen "$phase" mixed "$mode" "$app" $((per_second * 3 * DURATION + 5000)) "$WORK/$phase.txt"
  run_wrk "$phase" "$GATEWAY_URL" "/wechat/$app" "$WORK/$phase.txt" "$DURATION"
  rm -f "$WORK/$phase.txt"
  drain "$phase"
}
measured plain plain "$APP_PLAIN"
measured safe safe "$APP_SAFE"

if ((RATE > 0)); then
  gen safe-rate mixed safe "$APP_SAFE" $((RATE * RATE_DURATION * 3 / 2 + 5000)) "$WORK/safe-rate.txt"
  RATE_LABEL="$RATE req/s" run_wrk safe-rate "$GATEWAY_URL" "/wechat/$APP_SAFE" "$WORK/safe-rate.txt" "$RATE_DURATION" WG_RATE="$RATE"
  rm -f "$WORK/safe-rate.txt"
  drain safe-rate
fi

# The gateway's own counts and its memory high-water mark, before stopping it.
METRICS="$(curl -fsS --max-time 5 "$GATEWAY_URL/metrics" || true)"
printf '%s\n' "$METRICS" >"$LOGS/metrics.txt"
server_outcome() {
  awk -v o="outcome=\"$1\"" 'index($0, "wechatgateway_webhook_pushes_total{") == 1 && index($0, o) { s += $NF } END { printf "%d", s }' <<<"$METRICS"
}
ACCEPTED_SERVER="$(server_outcome accepted)"
RETRY_SERVER="$(server_outcome retry)"
GATEWAY_HWM="$(hwm_mib "$GATEWAY_PID")"
GATEWAY_ERRORS="$(grep -c '"LogLevel":"Error"' "$LOGS/gateway.log" || true)"
GATEWAY_WARNINGS="$(grep -c '"LogLevel":"Warning"' "$LOGS/gateway.log" || true)"
stop_pid "$GATEWAY_PID"
stop_pid "$SIMULATOR_PID"
GATEWAY_PID=""
SIMULATOR_PID=""

# --- 5. every 200 is one row, every row processed, every handler once -----------------------------------------------

GATEWAY_PHASES=(first-contact-plain first-contact-safe plain-warmup plain safe-warmup safe safe-rate)
declare -A APP_OF=([first-contact-plain]="$APP_PLAIN" [first-contact-safe]="$APP_SAFE" [plain-warmup]="$APP_PLAIN" [plain]="$APP_PLAIN"
  [safe-warmup]="$APP_SAFE" [safe]="$APP_SAFE" [safe-rate]="$APP_SAFE")
declare -A LAG=()
VERIFY_OK=1
[[ -z "${CEILING_MISMATCH:-}" ]] || VERIFY_OK=0
VERIFY_TABLE="| phase | lines | 200s seen by wrk | wechat_push rows | rows without a 200 seen, of requests unanswered at wrk's deadline | rows delivered twice | safe-file wraps | not processed (failed) | drained in s | check |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
HANDLER_TABLE="| phase | pushes in the file | follows with a scene (rows) | member_attribution rows | follows (rows) | member_timeline rows push:<id> | followers whose follow row is subscribed, resubscribes 0 | check |
|---|---|---:|---:|---:|---:|---:|---|"
TOTAL_2XX=0
TOTAL_ROWS=0
for label in "${GATEWAY_PHASES[@]}"; do
  [[ -n "${R[$label.requests]:-}" ]] || continue
  app="${APP_OF[$label]}"
  where="$(phase_where "$label" "$app")"
  read -r rows retried processed failed <<<"$(bench_sql "$BENCH_DB" -e "
    SELECT COUNT(*), COALESCE(SUM(deliveries > 1), 0), COALESCE(SUM(status = 'processed'), 0), COALESCE(SUM(status = 'failed'), 0)
    FROM wechat_push WHERE $where")"
  ok=$((${R[$label.requests]} - ${R[$label.non2xx]} - ${R[$label.healthz]}))
  # wrk stops at its deadline with up to one request per connection sent but not yet answered; the gateway may
  # still record those (it cannot know the client left), so they may add rows without a 200 that wrk saw. In a
  # first-contact phase wrk is interrupted once every line is recorded, so there rows must equal the lines.
  unanswered=$((${R[$label.sent]} - ok - ${R[$label.non2xx]}))
  ((unanswered >= 0)) || unanswered=0
  verdict="ok"
  if [[ "$label" == first-contact-* ]]; then
    ((rows == ${LINES[$label]})) || verdict="MISMATCH"
    ok_shown="$ok (and $unanswered in flight at the stop)"
  else
    ((rows >= ok && rows <= ok + unanswered)) || verdict="MISMATCH"
    ok_shown="$ok"
  fi
  ((retried == 0 && ${R[$label.wrapped]} == 0 && processed == rows && ${R[$label.non2xx]} == 0)) || verdict="MISMATCH"
  [[ "$verdict" == ok ]] || VERIFY_OK=0
  TOTAL_2XX=$((TOTAL_2XX + ok))
  TOTAL_ROWS=$((TOTAL_ROWS + rows))
  VERIFY_TABLE+="
| $label | ${LINES[$label]} | $ok_shown | $rows | $((rows - ok)) of $unanswered | $retried | ${R[$label.wrapped]} | $((rows - processed)) ($failed) | ${DRAIN[$label]:-0} | $verdict |"

  # Processing lag (recorded -> every handler done) of this phase's pushes, from the rows themselves.
  LAG[$label]="$(bench_sql "$BENCH_DB" -e "
    SELECT TIMESTAMPDIFF(MICROSECOND, received_at, processed_at) FROM wechat_push
    WHERE $where AND processed_at IS NOT NULL ORDER BY 1" \
    | awk '{ v[NR] = $1 } END { if (NR == 0) { print "- - -"; exit }
        p50 = v[int((NR - 1) * 0.50) + 1]; p99 = v[int((NR - 1) * 0.99) + 1]
        printf "%.1f %.1f %.1f\n", p50 / 1000, p99 / 1000, v[NR] / 1000 }')"

  # The members handler: attribution once per follow with a scene, a timeline entry once per follow, the follow
  # itself recorded (and not mistaken for a resubscribe). Unique keys on push_id and source_key stop a second row;
  # these counts catch a handler that did not run, or wrote for pushes it should not have.
  read -r scene_follows attributions follows timeline followed <<<"$(bench_sql "$BENCH_DB" -e "
    SELECT
      (SELECT COUNT(*) FROM wechat_push WHERE $where AND event = 'subscribe' AND raw_xml LIKE '%qrscene\\_%'),
      (SELECT COUNT(*) FROM member_attribution a JOIN wechat_push p ON p.id = a.push_id WHERE p.$where),
      (SELECT COUNT(*) FROM wechat_push WHERE $where AND event = 'subscribe'),
      (SELECT COUNT(*) FROM member_timeline t JOIN wechat_push p ON t.source_key = CONCAT('push:', p.id) WHERE p.$where),
      (SELECT COUNT(*) FROM member_follow f JOIN (SELECT DISTINCT open_id FROM wechat_push WHERE $where AND event = 'subscribe') s
         ON f.app_id = '$app' AND f.open_id = s.open_id WHERE f.subscribed = 1 AND f.resubscribes = 0)")"
  hverdict="ok"
  ((attributions == scene_follows && timeline == follows && followed == follows)) || { hverdict="MISMATCH"; VERIFY_OK=0; }
  HANDLER_TABLE+="
| $label | ${MIX[$label]} | $scene_follows | $attributions | $follows | $timeline | $followed | $hverdict |"
done
read -r IDENTITIES PUSH_FOLLOWERS MEMBERS <<<"$(bench_sql "$BENCH_DB" -e "
  SELECT (SELECT COUNT(*) FROM member_identity), (SELECT COUNT(*) FROM (SELECT DISTINCT app_id, open_id FROM wechat_push) d),
         (SELECT COUNT(*) FROM member)")"
((IDENTITIES == PUSH_FOLLOWERS && MEMBERS == IDENTITIES)) || VERIFY_OK=0
ALL_ROWS="$(bench_sql "$BENCH_DB" -e "SELECT COUNT(*) FROM wechat_push")"

# --- 6. report ----------------------------------------------------------------------------------------------------

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else printf "–" }'; }
per_request() { awk -v s="$1" -v n="$2" -v f="$3" 'BEGIN { printf "%.0f", (n > 0 ? f * s / n : 0) }'; }
get() { printf '%s' "${R[$1]:-–}"; }
row() { # LABEL TARGET TRAFFIC BASELINE_LABEL PEER_LABEL [CEILING_LABEL]
  local l="$1"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' "$2" "$3" "$(get "$l.rps")" "$(get "$l.p50_ms")" "$(get "$l.p99_ms")" \
    "$(get "$l.max_ms")" "$(get "$l.non2xx")" "$(ratio "${R[$l.rps]:-0}" "${R[$4.rps]:-0}")" \
    "$(if [[ -n "$5" ]]; then ratio "${R[$l.rps]:-0}" "${R[$5.rps]:-0}"; else echo –; fi)" \
    "$(if [[ -n "${6:-}" ]]; then ratio "${R[$l.rps]:-0}" "${R[$6.rps]:-0}"; else echo –; fi)" "${RSS[$l]:-–}"
}
# First contact sends each line once and then only GET /healthz until every push is recorded, so wrk's rate and
# latencies are mostly /healthz: the row gives pushes per wall second instead.
first_contact_row() { # LABEL TRAFFIC
  printf '| gateway (first contact, before the measured phases) | %s: %s pushes in %s s | %s pushes/s | – | – | – | %s | – | – | – | %s |' "$2" "${LINES[$1]}" \
    "${CPU[$1.wall]}" "$(awk -v n="${LINES[$1]}" -v s="${CPU[$1.wall]}" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')" "$(get "$1.non2xx")" "${RSS[$1]:-–}"
}
HEADER="| target | traffic | req/s | p50 ms | p99 ms | max ms | non-2xx | × baseline | × peer | × ceiling | max RSS MiB |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
RESULTS="$HEADER
$(row baseline-plain "baseline (bare Kestrel)" "plaintext" baseline-plain "")
$(row baseline-safe "baseline (bare Kestrel)" "safe-mode bodies" baseline-safe "")"
if [[ "$PEER" == 1 ]]; then
  RESULTS+="
$(row peer-plain "peer (wechat $(node -p "require('$BENCH_DIR/peer/node_modules/wechat/package.json').version"), express 5)" "plaintext" baseline-plain peer-plain)
$(row peer-safe "peer (wechat, express 5)" "safe (AES)" baseline-safe peer-safe)"
fi
RESULTS+="
$(row ceiling-plain "durable ceiling (bench/Ceiling, $CEILING_WRITERS writers)" "plaintext" baseline-plain "$([[ $PEER == 1 ]] && echo peer-plain)" ceiling-plain)
$(row ceiling-safe "durable ceiling" "safe (AES)" baseline-safe "$([[ $PEER == 1 ]] && echo peer-safe)" ceiling-safe)
$(row plain "gateway" "plaintext, mixed, 1/5 new followers" baseline-plain "$([[ $PEER == 1 ]] && echo peer-plain)" ceiling-plain)
$(row safe "gateway" "safe (AES), mixed, 1/5 new followers" baseline-safe "$([[ $PEER == 1 ]] && echo peer-safe)" ceiling-safe)
$(row plain-warmup "gateway (warm-up)" "plaintext, known followers only" baseline-plain "")
$(first_contact_row first-contact-plain "plaintext follows without a scene, each creates a member")
$(first_contact_row first-contact-safe "safe follows without a scene, each creates a member")"

lag_cell() { local a b c; read -r a b c <<<"${LAG[$1]:-- - -}"; printf '%s | %s | %s' "$a" "$b" "$c"; }
LAG_TABLE="| phase | pushes processed | lag p50 ms | lag p99 ms | lag max ms |
|---|---:|---:|---:|---:|"
for label in "${GATEWAY_PHASES[@]}"; do
  [[ -n "${LAG[$label]:-}" ]] || continue
  LAG_TABLE+="
| $label | $(bench_sql "$BENCH_DB" -e "SELECT COUNT(*) FROM wechat_push WHERE $(phase_where "$label" "${APP_OF[$label]}") AND status = 'processed'") | $(lag_cell "$label") |"
done

if ((RATE > 0)); then
  RATE_RESULTS="| target | asked | achieved req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | max RSS MiB |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
| baseline (pacing accuracy) | $RATE req/s for ${RATE_DURATION}s | $(get baseline-rate.rps) | $(get baseline-rate.p50_ms) | $(get baseline-rate.p90_ms) | $(get baseline-rate.p99_ms) | $(get baseline-rate.max_ms) | $(get baseline-rate.non2xx) | ${RSS[baseline-rate]:-–} |
| gateway, safe (AES), mixed | $RATE req/s for ${RATE_DURATION}s | $(get safe-rate.rps) | $(get safe-rate.p50_ms) | $(get safe-rate.p90_ms) | $(get safe-rate.p99_ms) | $(get safe-rate.max_ms) | $(get safe-rate.non2xx) | ${RSS[safe-rate]:-–} |"
else
  RATE_RESULTS="(skipped: BENCH_RATE=0)"
fi

CPU_TABLE="| phase | requests | wall s | gateway | MariaDB | Redis | simulator | baseline | peer | ceiling | other (wrk, kernel) | idle | gateway µs/req | MariaDB µs/req | SQL statements/req |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for label in baseline-plain baseline-safe baseline-rate peer-plain peer-safe ceiling-plain ceiling-safe first-contact-plain first-contact-safe plain safe safe-rate; do
  [[ -n "${R[$label.requests]:-}" ]] || continue
  n="${R[$label.requests]}"
  statements="-"
  [[ "$label" == baseline-* || "$label" == peer-* ]] || statements="$(awk -v q="${SQL[$label]}" -v n="$n" 'BEGIN { printf "%.1f", (n > 0 ? q / n : 0) }')"
  CPU_TABLE+="
| $label | $n | ${CPU[$label.wall]} | ${CPU[$label.gateway]} | ${CPU[$label.mariadb]} | ${CPU[$label.redis]} | ${CPU[$label.simulator]} | ${CPU[$label.baseline]} | ${CPU[$label.peer]} | ${CPU[$label.ceiling]} | ${CPU[$label.other]} | ${CPU[$label.idle]} | $(per_request "${CPU[$label.gateway]}" "$n" 1e6) | $(per_request "${CPU[$label.mariadb]}" "$n" 1e6) | $statements |"
done

GIT_REV="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
GIT_DIRTY="$(git -C "$ROOT" status --porcelain -- src tools bench 2>/dev/null | wc -l)"
STAMP="$(date -u +%Y-%m-%d-%H%M)"
REPORT="$BENCH_DIR/results/webhook-$STAMP.md"
SERVERS="MariaDB $(bench_sql -e 'SELECT VERSION()') on port $WG_MYSQL_PORT, Redis $(redis-cli -h 127.0.0.1 -p "${WG_REDIS_CLUSTER_PORTS%% *}" info server 2>/dev/null | tr -d '\r' | sed -n 's/^redis_version://p') $([[ "${BENCH_REDIS_CLUSTER:-0}" == 1 ]] && echo "Cluster on ports $WG_REDIS_CLUSTER_PORTS" || echo "on port $WG_REDIS_PORT") ($([[ "${BENCH_EXTERNAL_SERVERS:-0}" == 1 ]] && echo 'already running, BENCH_EXTERNAL_SERVERS=1' || echo 'through deploy/local/lib.sh'))"
CHECK="$([[ $VERIFY_OK == 1 ]] && echo passed || echo FAILED)"

# shellcheck disable=SC2016 # the backticks are Markdown
{
  printf '# Webhook benchmark, %s\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'Command: `%s` with BENCH_DURATION=%s BENCH_WARMUP=%s BENCH_GATEWAY_WARMUP=%s BENCH_THREADS=%s BENCH_CONNECTIONS=%s BENCH_FOLLOWERS=%s BENCH_RATE=%s BENCH_RATE_DURATION=%s BENCH_STATELESS_LINES=%s; took %s s including the build.\n\n' \
    "$COMMAND_LINE" "$DURATION" "$WARMUP" "$GATEWAY_WARMUP" "$THREADS" "$CONNECTIONS" "$FOLLOWERS" "$RATE" "$RATE_DURATION" "$STATELESS_LINES" "$SECONDS"
  printf 'Each row: `wrk -t%s -c%s -d%ss --latency --timeout 5s -s bench/wrk/webhook.lua URL`, replaying pre-computed pushes (each its own nonce and signature; safe mode its own AES payload and msg_signature). Mixed traffic of a measured phase (%s followers per account, %s of them members already): %s. The baseline and the peer replay one file per mode of %s such pushes (wraps: plaintext %s/%s, safe %s/%s for baseline/peer). Gateway accounts: one Plain, one Safe, passive reply mode; auto-replies: %s; Gateway:Roles=%s; Wechat:ReplayWindowSeconds=3600 (the replay guard on).\n\n' \
    "$THREADS" "$CONNECTIONS" "$DURATION" "$FOLLOWERS" "$KNOWN" "${MIX[plain]:-–}" "$STATELESS_LINES" "$(get baseline-plain.wrapped)" "$(get peer-plain.wrapped)" "$(get baseline-safe.wrapped)" "$(get peer-safe.wrapped)" "$AUTO_REPLIES" "$GATEWAY_ROLES"
  printf 'Machine: %s cores (%s), %s. wrk, the servers, MariaDB and Redis all share those cores over loopback. Before the run: load %s, %s%% busy over 2 s.\n\n' \
    "$MACHINE_CORES" "$MACHINE_CPU" "$MACHINE_MEM" "$LOAD_BEFORE" "$BUSY_BEFORE"
  printf 'Code: %s plus %s uncommitted changes under src/, tools/ and bench/; %s; %s; %s; peer: %s.\n\n' \
    "$GIT_REV" "$GIT_DIRTY" "$(dotnet --version | sed 's/^/.NET SDK /')" "$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)" "$SERVERS" "${PEER_VERSIONS:-skipped (BENCH_PEER=0)}"
  printf '## Saturation (%s connections, closed loop)\n\n%s\n\n' "$CONNECTIONS" "$RESULTS"
  printf 'Gateway RSS: the max RSS column is VmRSS sampled every 0.5 s during the phase; VmHWM of the gateway at the end of the run: %s MiB.\n\n' "$GATEWAY_HWM"
  printf '## Fixed rate\n\nwrk2 is not packaged here: webhook.lua paces wrk (WG_RATE, 1 ms timer resolution), latency is measured from the actual send, not corrected for coordinated omission; the baseline row shows what the pacing itself achieves.\n\n%s\n\n' "$RATE_RESULTS"
  printf '## Processing lag (received_at to processed_at, from wechat_push)\n\n%s\n\n' "$LAG_TABLE"
  printf '## Every 200 is exactly one record, and every record processed\n\nDurable ceiling: %s.\n\n%s\n\n' "$VERIFY_CEILING" "$VERIFY_TABLE"
  printf '## Each handler once per push (members handler)\n\n%s\n\n' "$HANDLER_TABLE"
  printf 'All phases: %s 200s seen by wrk, %s rows (%s in wechat_push in all); the gateway counted %s accepted and %s retries (/metrics); %s member identities for %s distinct followers in wechat_push, %s members. Gateway log: %s errors, %s warnings. Check: **%s**.\n\n' \
    "$TOTAL_2XX" "$TOTAL_ROWS" "$ALL_ROWS" "$ACCEPTED_SERVER" "$RETRY_SERVER" "$IDENTITIES" "$PUSH_FOLLOWERS" "$MEMBERS" "$GATEWAY_ERRORS" "$GATEWAY_WARNINGS" "$CHECK"
  printf '## CPU seconds by process during each phase (%s cores)\n\n%s\n\n' "$MACHINE_CORES" "$CPU_TABLE"
  printf 'Processes using 1%% of a core or more in the 2 s before the run:\n\n```\n%s\n```\n' "${OTHERS_BEFORE:-none}"
  if [[ -n "$PROFILE" && -f "$LOGS/profile-$PROFILE.txt" ]]; then
    printf '\n## Profile of the gateway during %s (perf, cpu-clock)\n\n```\n%s\n```\n' "$PROFILE" "$(cat "$LOGS/profile-$PROFILE.txt")"
  fi
} >"$REPORT"

printf '\n%s\n\ngateway VmHWM %s MiB\n\n%s\n\n%s\n\n%s\n\n%s\n\n%s\n\n' "$RESULTS" "$GATEWAY_HWM" "$RATE_RESULTS" "$LAG_TABLE" "$VERIFY_TABLE" "$HANDLER_TABLE" "$CPU_TABLE"
wg_log "check: $TOTAL_2XX 200s seen by wrk, $TOTAL_ROWS wechat_push rows, $IDENTITIES identities for $PUSH_FOLLOWERS followers; gateway counted $ACCEPTED_SERVER accepted; $CHECK"
wg_log "report: ${REPORT#"$ROOT"/} (logs in ${LOGS#"$ROOT"/}, kept until the next run); took ${SECONDS}s"
[[ $VERIFY_OK == 1 ]] || exit 1
