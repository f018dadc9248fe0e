# shellcheck shell=bash
# Helpers of the bench scripts: processes (start, stop on exit, wait for HTTP, free ports), and the common start of
# the scripts that drive a gateway through its webhook (arguments, MariaDB and Redis, build, simulator and gateway).

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
WRK_PID=""
cleanup() {
  local pid
  [[ -z "$WRK_PID" ]] || kill -KILL "$WRK_PID" 2>/dev/null || true
  for pid in "${PIDS[@]}"; do
    stop_pid "$pid"
  done
  PIDS=()
  if declare -F wg_stop_started_services >/dev/null; then
    wg_stop_started_services
  fi
  [[ -z "${WORK:-}" ]] || rm -f "$WORK"/*.txt
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

# bench_servers: MariaDB and Redis for a bench script. By default from deploy/local/lib.sh (installed and started when
# missing, reused when running); BENCH_EXTERNAL_SERVERS=1 (or no deploy scripts) uses servers already running on
# WG_MYSQL_PORT / WG_REDIS_PORT (default 3306, 6379) with the user wg/wg that deploy/local creates, allowed to create
# databases named wechatgateway*, never started or stopped. Installs wrk when missing. Defines wg_log, wg_warn,
# wg_die, WG_MYSQL_CS, WG_REDIS_CS, MYSQL_CLIENT and bench_sql (the mariadb client as wg, tab-separated, no headers).
bench_servers() {
  if [[ -f "$ROOT/deploy/local/lib.sh" && "${BENCH_EXTERNAL_SERVERS:-0}" != 1 ]]; then
    # shellcheck source=../deploy/local/lib.sh
    source "$ROOT/deploy/local/lib.sh"
    wg_install_packages
    command -v wrk >/dev/null 2>&1 || wg_apt_install wrk
    wg_start_mariadb
    wg_start_redis
    [[ "${BENCH_REDIS_CLUSTER:-0}" != 1 ]] || wg_start_redis_cluster
  else
    WG_MYSQL_PORT="${WG_MYSQL_PORT:-3306}"
    WG_REDIS_PORT="${WG_REDIS_PORT:-6379}"
    WG_MYSQL_CS="${WG_MYSQL_CS:-Server=127.0.0.1;Port=$WG_MYSQL_PORT;User ID=wg;Password=wg;Database=wechatgateway}"
    WG_REDIS_CS="${WG_REDIS_CS:-127.0.0.1:$WG_REDIS_PORT}"
    WG_REDIS_CLUSTER_PORTS="${WG_REDIS_CLUSTER_PORTS:-7001 7002 7003}"
    WG_REDIS_CLUSTER_CS="$(printf '127.0.0.1:%s,' $WG_REDIS_CLUSTER_PORTS)"
    WG_REDIS_CLUSTER_CS="${WG_REDIS_CLUSTER_CS%,}"
    wg_log() { printf '==> %s\n' "$*"; }
    wg_warn() { printf 'warning: %s\n' "$*" >&2; }
    wg_die() { printf 'error: %s\n' "$*" >&2; exit 1; }
    if ! command -v wrk >/dev/null 2>&1; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk </dev/null || wg_die "wrk is missing and apt-get could not install it"
    fi
  fi
  MYSQL_CLIENT="$(command -v mariadb 2>/dev/null || command -v mysql)" || wg_die "the mariadb (or mysql) client is required"
}
# bench_redis DB: empties the benchmark's Redis and prints the gateway's connection string for it. One Redis: database
# DB. BENCH_REDIS_CLUSTER=1: the Redis Cluster on WG_REDIS_CLUSTER_PORTS (default 7001 7002 7003; started by
# bench_servers through deploy/local, or already running with BENCH_EXTERNAL_SERVERS=1), which has only database 0,
# so every master is flushed: it must be the benchmark's own.
bench_redis() {
  local db="$1" port
  if [[ "${BENCH_REDIS_CLUSTER:-0}" == 1 ]]; then
    for port in $WG_REDIS_CLUSTER_PORTS; do
      [[ "$(redis-cli -h 127.0.0.1 -p "$port" role | head -1)" != master ]] || redis-cli -h 127.0.0.1 -p "$port" flushall >/dev/null
    done
    printf '%s' "$WG_REDIS_CLUSTER_CS"
  else
    redis-cli -h 127.0.0.1 -p "$WG_REDIS_PORT" -n "$db" flushdb >/dev/null
    printf '%s' "$WG_REDIS_CS,defaultDatabase=$db"
  fi
}

# The PIDs of the Redis servers the benchmark uses (every node of the cluster with BENCH_REDIS_CLUSTER=1), space-separated.
bench_redis_pids() {
  local port
  if [[ "${BENCH_REDIS_CLUSTER:-0}" == 1 ]]; then
    for port in $WG_REDIS_CLUSTER_PORTS; do
      redis-cli -h 127.0.0.1 -p "$port" info server | tr -d '\r' | sed -n 's/^process_id://p'
    done | paste -sd' '
  else
    redis-cli -h 127.0.0.1 -p "$WG_REDIS_PORT" info server | tr -d '\r' | sed -n 's/^process_id://p'
  fi
}

bench_sql() { "$MYSQL_CLIENT" --no-defaults --protocol=tcp -h127.0.0.1 -P"$WG_MYSQL_PORT" -uwg -pwg -N -B "$@"; }

# bench_start_gateway DB REDIS_DB: a fresh database DB (kept with BENCH_KEEP_DB=1) and Redis database REDIS_DB (flushed), then the simulator and
# the gateway (Release builds, Gateway:Roles=Web,Worker, warnings only) on free loopback ports with the accounts in
# the array ACCOUNTS (Wechat__Accounts__N__... assignments), the admin key ADMIN_KEY and any further gateway settings
# in the array GATEWAY_SETTINGS. Sets SIMULATOR_URL and GATEWAY_URL and returns once both answer.
bench_start_gateway() {
  local db="$1" redis_db="$2" redis_cs
  # BENCH_KEEP_DB=1 (bench/segments.sh) keeps a database seeded by an earlier run; the gateway migrates it as it is.
  [[ "${BENCH_KEEP_DB:-0}" == 1 ]] || bench_sql -e "DROP DATABASE IF EXISTS \`$db\`; CREATE DATABASE \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
  redis_cs="$(bench_redis "$redis_db")"
  SIMULATOR_URL="http://127.0.0.1:$(free_port)"
  GATEWAY_URL="http://127.0.0.1:$(free_port)"
  local logging=("Logging__LogLevel__Default=Warning")
  start SIMULATOR "$LOGS/simulator.log" -- env "${logging[@]}" "${ACCOUNTS[@]}" dotnet "$ROOT/tools/WechatSimulator/bin/Release/net10.0/WechatSimulator.dll" --urls "$SIMULATOR_URL"
  start GATEWAY "$LOGS/gateway.log" -- env "${logging[@]}" "${ACCOUNTS[@]}" \
    "ConnectionStrings__MySql=Server=127.0.0.1;Port=$WG_MYSQL_PORT;User ID=wg;Password=wg;Database=$db" \
    "ConnectionStrings__Redis=$redis_cs" \
    "Wechat__ApiBaseUrl=$SIMULATOR_URL" "Wechat__ReplayWindowSeconds=3600" \
    "Admin__ApiKeys__0__Name=bench" "Admin__ApiKeys__0__Key=$ADMIN_KEY" "Admin__ApiKeys__0__Role=Admin" \
    "Gateway__Roles=Web,Worker" "${GATEWAY_SETTINGS[@]}" \
    dotnet "$ROOT/src/WechatGateway/bin/Release/net10.0/WechatGateway.dll" --urls "$GATEWAY_URL"
  wait_http "$SIMULATOR_URL/healthz" "$SIMULATOR_PID" "$LOGS/simulator.log"
  wait_http "$GATEWAY_URL/readyz" "$GATEWAY_PID" "$LOGS/gateway.log"
}

# bench_build PROJECT...: dotnet build -c Release of each project (paths from the repository root), the log in $LOGS.
bench_build() {
  local project
  for project in "$@"; do
    wg_log "dotnet build -c Release $project"
    dotnet build "$ROOT/$project" -c Release -nologo -v q >"$LOGS/build.log" 2>&1 || { cat "$LOGS/build.log" >&2; wg_die "build of $project failed"; }
  done
}

# bench_args SCRIPT ARGS...: --no-build (sets BUILD=0; else BUILD=1) and --help (prints SCRIPT's header comment).
bench_args() {
  local script="$1" arg
  shift
  BUILD=1
  for arg in "$@"; do
    case "$arg" in
      --no-build) BUILD=0 ;;
      -h | --help) sed -n '2,/^set -euo/p' "$script" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
      *) printf 'unknown argument: %s (try --help)\n' "$arg" >&2; exit 2 ;;
    esac
  done
}

# bench_init SCRIPT NAME ARGS...: the start of a webhook-driven bench script: --no-build and --help (the script's header
# comment) from ARGS, a fresh $ROOT/.data/NAME (WORK, LOGS), the servers (bench_servers), then unless --no-build a
# Release build of the push generator, the simulator and the gateway. Sets BUILD and GEN_DLL.
bench_init() {
  local name="$2"
  bench_args "$1" "${@:3}"
  WORK="$ROOT/.data/$name"
  LOGS="$WORK/logs"
  rm -rf "$WORK"
  mkdir -p "$LOGS"
  bench_servers
  if ((BUILD)); then
    bench_build bench/WebhookBench.Gen tools/WechatSimulator src/WechatGateway
  fi
  GEN_DLL="$BENCH_DIR/WebhookBench.Gen/bin/Release/net10.0/WebhookBench.Gen.dll"
}
