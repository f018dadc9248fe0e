# shellcheck shell=bash
# Shared bootstrap for run.sh and test.sh (sourced, not run): installs MariaDB and Redis from Debian's packages when
# missing and runs them as plain background processes on loopback, with all data under $WG_ROOT/.data. No init system
# is needed or used: containers and CI machines have none, and policy-rc.d usually forbids service starts there.
#
# Every function is idempotent: a server this repo started earlier (and that still answers) is reused, never doubled.

set -euo pipefail

WG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WG_DATA="$WG_ROOT/.data"
WG_LOGS="$WG_DATA/logs"

WG_MYSQL_PORT="${WG_MYSQL_PORT:-3306}"
WG_REDIS_PORT="${WG_REDIS_PORT:-6379}"
WG_GATEWAY_URL="${WG_GATEWAY_URL:-http://127.0.0.1:5080}"
WG_SIMULATOR_URL="${WG_SIMULATOR_URL:-http://127.0.0.1:5090}"

WG_MYSQL_DATADIR="$WG_DATA/mysql"
WG_MYSQL_PIDFILE="$WG_DATA/mysql.pid"
WG_MYSQL_LOG="$WG_LOGS/mariadb.log"
# A Unix socket path is limited to 107 bytes; a deep checkout falls back to a per-checkout name under /tmp.
WG_MYSQL_SOCKET="$WG_DATA/mysql.sock"
if (( ${#WG_MYSQL_SOCKET} > 100 )); then
  WG_MYSQL_SOCKET="/tmp/wg-mysql-$(printf '%s' "$WG_ROOT" | md5sum | cut -c1-12).sock"
fi
WG_REDIS_DIR="$WG_DATA/redis"
WG_REDIS_PIDFILE="$WG_DATA/redis.pid"
# The port a server of this checkout was started on, so --stop reaches that one even without the WG_*_PORT it had.
WG_REDIS_PORTFILE="$WG_DATA/redis.port"
WG_REDIS_LOG="$WG_LOGS/redis.log"

# A three-master Redis Cluster on loopback (no replicas), for the tests and benchmarks that run on a cluster.
WG_REDIS_CLUSTER_PORTS="${WG_REDIS_CLUSTER_PORTS:-7001 7002 7003}"
WG_REDIS_CLUSTER_DIR="$WG_DATA/redis-cluster"

WG_MYSQL_CS="Server=127.0.0.1;Port=$WG_MYSQL_PORT;User ID=wg;Password=wg;Database=wechatgateway"
WG_REDIS_CS="127.0.0.1:$WG_REDIS_PORT"
WG_REDIS_CLUSTER_CS="$(printf '127.0.0.1:%s,' $WG_REDIS_CLUSTER_PORTS)"
WG_REDIS_CLUSTER_CS="${WG_REDIS_CLUSTER_CS%,}"
export WG_ROOT WG_DATA WG_MYSQL_PORT WG_REDIS_PORT WG_GATEWAY_URL WG_SIMULATOR_URL WG_MYSQL_CS WG_REDIS_CS
export WG_REDIS_CLUSTER_PORTS WG_REDIS_CLUSTER_CS

# Set to 1 by the start functions when this shell started the server (not when it reused one), so a script can stop
# exactly what it started.
WG_STARTED_MARIADB=0
WG_STARTED_REDIS=0
WG_STARTED_REDIS_CLUSTER=0

# The daemons live in sbin, which a non-login root shell may not have on its PATH.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="/usr/local/sbin:/usr/sbin:/sbin:$PATH" ;; esac
export PATH
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

wg_log() { printf '==> %s\n' "$*"; }

# Prints a script's opening comment (its help text), without the shebang and the comment marks.
wg_usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$1"; }

# For a script's first argument: prints its help and exits when it is -h or --help.
wg_help_if_asked() {
  case "${2:-}" in
    -h | --help)
      wg_usage "$1"
      exit 0
      ;;
  esac
}
wg_warn() { printf 'warning: %s\n' "$*" >&2; }
wg_die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Prints the last lines of a log file to stderr, for start-up failures.
wg_tail_log() {
  local file="$1" lines="${2:-40}"
  if [[ -f "$file" ]]; then
    printf -- '--- last %s lines of %s ---\n' "$lines" "$file" >&2
    tail -n "$lines" "$file" >&2 || true
    printf -- '--- end of %s ---\n' "$file" >&2
  else
    printf '(no log at %s)\n' "$file" >&2
  fi
}

# True when something accepts TCP connections on 127.0.0.1:$1.
wg_port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The PID in a pid file, when that process is alive.
wg_live_pid() {
  local pidfile="$1" pid
  [[ -s "$pidfile" ]] || return 1
  pid="$(tr -dc '0-9' <"$pidfile")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

# Waits up to $1 seconds for process $2 to exit.
wg_wait_exit() {
  local timeout="$1" pid="$2" i
  for ((i = 0; i < timeout * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

WG_APT_UPDATED=0
wg_apt_install() {
  (($# > 0)) || return 0
  command -v apt-get >/dev/null 2>&1 || wg_die "missing $*, and apt-get is not available to install them"
  ((EUID == 0)) || wg_die "missing $*; run as root (or install them) so they can be installed with apt-get"
  # Without an init system a package's postinst could still try to start its service on the default port;
  # forbid that for the duration of the install unless the machine already has a policy.
  local own_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    own_policy=1
  fi
  local rc=0
  if ((WG_APT_UPDATED == 0)); then
    wg_log "apt-get update"
    apt-get -o DPkg::Lock::Timeout=300 update -qq || rc=$?
    WG_APT_UPDATED=1
  fi
  if ((rc == 0)); then
    wg_log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$@" </dev/null || rc=$?
  fi
  ((own_policy == 0)) || rm -f /usr/sbin/policy-rc.d
  ((rc == 0)) || wg_die "apt-get failed (exit $rc) installing $*"
}

# Installs what the local stack needs and the machine lacks: MariaDB, Redis, curl, python3, and Node.js with npm
# when the interop tests (tools/interop) are present.
wg_install_packages() {
  local missing=()
  if ! command -v mariadbd >/dev/null 2>&1 && ! command -v mysqld >/dev/null 2>&1; then
    missing+=(mariadb-server mariadb-client)
  fi
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
  command -v curl >/dev/null 2>&1 || missing+=(curl ca-certificates)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  # The console's browser tests (test/WechatGateway.Console.Tests) drive Debian's Chromium through Playwright.
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  if [[ -f "$WG_ROOT/tools/interop/package.json" ]]; then
    command -v node >/dev/null 2>&1 || missing+=(nodejs)
    command -v npm >/dev/null 2>&1 || missing+=(npm)
  fi
  if ((${#missing[@]} > 0)); then
    # de-duplicate while keeping order
    local unique=() seen=" " p
    for p in "${missing[@]}"; do
      [[ "$seen" == *" $p "* ]] || { unique+=("$p"); seen+="$p "; }
    done
    wg_apt_install "${unique[@]}"
  fi
  command -v dotnet >/dev/null 2>&1 || wg_die "the .NET SDK (dotnet) is not on PATH; install the .NET 10 SDK first"
}

# --- MariaDB ----------------------------------------------------------------------------------------------------------

wg_mariadbd_bin() { command -v mariadbd 2>/dev/null || command -v mysqld; }
wg_mysql_client_bin() { command -v mariadb 2>/dev/null || command -v mysql; }
wg_mysql_admin_bin() { command -v mariadb-admin 2>/dev/null || command -v mysqladmin; }

# The client as root over this repo's socket (unix_socket authentication: the OS user root is the DB user root).
wg_mysql_root() {
  "$(wg_mysql_client_bin)" --no-defaults --protocol=socket --socket="$WG_MYSQL_SOCKET" -uroot "$@"
}

wg_mysql_ours_answers() {
  [[ -S "$WG_MYSQL_SOCKET" ]] && wg_mysql_root -N -B -e 'SELECT 1' >/dev/null 2>&1
}

wg_mysql_wg_answers() {
  "$(wg_mysql_client_bin)" --no-defaults --protocol=tcp -h127.0.0.1 -P"$WG_MYSQL_PORT" -uwg -pwg \
    -N -B -e 'SELECT 1' wechatgateway >/dev/null 2>&1
}

wg_start_mariadb() {
  mkdir -p "$WG_DATA" "$WG_LOGS"
  if wg_mysql_ours_answers; then
    local port
    port="$(wg_mysql_root -N -B -e 'SELECT @@port')"
    [[ "$port" == "$WG_MYSQL_PORT" ]] \
      || wg_die "this repo's MariaDB is already running on port $port, not $WG_MYSQL_PORT; stop it first: deploy/local/run.sh --stop"
    wg_log "MariaDB: reusing the server already running from $WG_MYSQL_DATADIR on port $WG_MYSQL_PORT"
  elif wg_port_open "$WG_MYSQL_PORT"; then
    # Not ours, but a server that already has our user and database (e.g. another checkout's) serves just as well.
    if wg_mysql_wg_answers; then
      wg_log "MariaDB: reusing the server on port $WG_MYSQL_PORT (not started from this checkout; user wg works)"
      return 0
    fi
    wg_die "port $WG_MYSQL_PORT is taken by another process that is not this repo's MariaDB; stop it or choose another port with WG_MYSQL_PORT=3307"
  else
    wg_launch_mariadb
  fi
  wg_mysql_provision
}

wg_launch_mariadb() {
  local mariadbd
  mariadbd="$(wg_mariadbd_bin)" || wg_die "mariadbd is not installed (run wg_install_packages)"
  if [[ ! -d "$WG_MYSQL_DATADIR/mysql" ]]; then
    wg_log "MariaDB: initialising a new data directory in $WG_MYSQL_DATADIR"
    rm -rf "$WG_MYSQL_DATADIR"
    mkdir -p "$WG_MYSQL_DATADIR"
    local install_db
    install_db="$(command -v mariadb-install-db 2>/dev/null || command -v mysql_install_db)" \
      || wg_die "mariadb-install-db is not installed"
    "$install_db" --no-defaults --datadir="$WG_MYSQL_DATADIR" --user=root \
      --auth-root-authentication-method=socket --skip-test-db >>"$WG_MYSQL_LOG" 2>&1 \
      || { wg_tail_log "$WG_MYSQL_LOG"; wg_die "mariadb-install-db failed"; }
  fi

  # A server that died without cleaning up leaves its socket and pid file behind.
  if ! wg_live_pid "$WG_MYSQL_PIDFILE" >/dev/null; then
    rm -f "$WG_MYSQL_PIDFILE" "$WG_MYSQL_SOCKET"
  fi

  wg_log "MariaDB: starting on 127.0.0.1:$WG_MYSQL_PORT (log: $WG_MYSQL_LOG)"
  # --no-defaults: the machine's /etc/mysql settings (socket, datadir, port) must not leak in; Debian's utf8mb4
  # default lives there, so it is repeated here.
  setsid "$mariadbd" --no-defaults --user=root \
    --datadir="$WG_MYSQL_DATADIR" --socket="$WG_MYSQL_SOCKET" --pid-file="$WG_MYSQL_PIDFILE" \
    --port="$WG_MYSQL_PORT" --bind-address=127.0.0.1 --skip-name-resolve \
    --log-error="$WG_MYSQL_LOG" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --max-connections=500 --innodb-buffer-pool-size="${WG_MYSQL_BUFFER_POOL:-1G}" \
    </dev/null >>"$WG_MYSQL_LOG" 2>&1 &
  local pid=$!
  WG_STARTED_MARIADB=1

  local i
  for ((i = 0; i < 600; i++)); do
    if wg_mysql_ours_answers; then
      wg_log "MariaDB: ready (pid $pid)"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      WG_STARTED_MARIADB=0
      wg_tail_log "$WG_MYSQL_LOG"
      wg_die "MariaDB exited during start-up (see the log above)"
    fi
    sleep 0.1
  done
  wg_tail_log "$WG_MYSQL_LOG"
  wg_die "MariaDB did not answer on $WG_MYSQL_SOCKET within 60 s"
}

# The application database and user. Tests create throw-away schemas named wechatgateway_test_*, hence the wildcard.
wg_mysql_provision() {
  wg_mysql_root <<'SQL'
CREATE DATABASE IF NOT EXISTS `wechatgateway` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'wg'@'127.0.0.1' IDENTIFIED BY 'wg';
CREATE USER IF NOT EXISTS 'wg'@'localhost' IDENTIFIED BY 'wg';
GRANT ALL PRIVILEGES ON `wechatgateway%`.* TO 'wg'@'127.0.0.1';
GRANT ALL PRIVILEGES ON `wechatgateway%`.* TO 'wg'@'localhost';
SQL
}

wg_stop_mariadb() {
  local pid
  pid="$(wg_live_pid "$WG_MYSQL_PIDFILE")" || return 0
  wg_log "MariaDB: stopping (pid $pid)"
  "$(wg_mysql_admin_bin)" --no-defaults --protocol=socket --socket="$WG_MYSQL_SOCKET" -uroot shutdown >/dev/null 2>&1 \
    || kill -TERM "$pid" 2>/dev/null || true
  if ! wg_wait_exit 60 "$pid"; then
    wg_warn "MariaDB did not stop within 60 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$WG_MYSQL_PIDFILE"
}

# --- Redis ------------------------------------------------------------------------------------------------------------

wg_redis_cli() { redis-cli -h 127.0.0.1 -p "$WG_REDIS_PORT" "$@"; }

wg_redis_answers() { [[ "$(wg_redis_cli ping 2>/dev/null)" == "PONG" ]]; }

wg_start_redis() {
  mkdir -p "$WG_REDIS_DIR" "$WG_LOGS"
  if wg_redis_answers; then
    local dir
    dir="$(wg_redis_cli config get dir 2>/dev/null | sed -n 2p)"
    if [[ "$dir" == "$WG_REDIS_DIR" ]]; then
      wg_log "Redis: reusing the server already running from $WG_REDIS_DIR on port $WG_REDIS_PORT"
    else
      wg_log "Redis: reusing the server on port $WG_REDIS_PORT (data in ${dir:-?}, not started from this checkout)"
    fi
    return 0
  fi
  wg_port_open "$WG_REDIS_PORT" \
    && wg_die "port $WG_REDIS_PORT is taken by a process that does not answer PING; stop it or choose another port with WG_REDIS_PORT=6380"

  wg_log "Redis: starting on 127.0.0.1:$WG_REDIS_PORT (log: $WG_REDIS_LOG)"
  rm -f "$WG_REDIS_PIDFILE"
  mkdir -p "$WG_DATA"
  printf '%s\n' "$WG_REDIS_PORT" >"$WG_REDIS_PORTFILE"
  redis-server --port "$WG_REDIS_PORT" --bind 127.0.0.1 --dir "$WG_REDIS_DIR" \
    --daemonize yes --pidfile "$WG_REDIS_PIDFILE" --logfile "$WG_REDIS_LOG" --appendonly yes \
    </dev/null >"$WG_LOGS/redis-start.log" 2>&1 \
    || { wg_tail_log "$WG_LOGS/redis-start.log"; wg_tail_log "$WG_REDIS_LOG"; wg_die "redis-server failed to start"; }
  WG_STARTED_REDIS=1

  local i
  for ((i = 0; i < 300; i++)); do
    if wg_redis_answers; then
      wg_log "Redis: ready"
      return 0
    fi
    sleep 0.1
  done
  wg_tail_log "$WG_REDIS_LOG"
  wg_die "Redis did not answer PING on port $WG_REDIS_PORT within 30 s"
}

wg_stop_redis() {
  local pid
  pid="$(wg_live_pid "$WG_REDIS_PIDFILE")" || return 0
  wg_log "Redis: stopping (pid $pid)"
  # Shut down the server this checkout started, on the port it was started with, never another one on today's port.
  local port="$WG_REDIS_PORT"
  [[ -s "$WG_REDIS_PORTFILE" ]] && port="$(tr -dc '0-9' <"$WG_REDIS_PORTFILE")"
  redis-cli -h 127.0.0.1 -p "$port" shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
  if ! wg_wait_exit 30 "$pid"; then
    wg_warn "Redis did not stop within 30 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$WG_REDIS_PIDFILE" "$WG_REDIS_PORTFILE"
}

# --- Redis Cluster ----------------------------------------------------------------------------------------------------

wg_redis_cluster_ok() { [[ "$(redis-cli -h 127.0.0.1 -p "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_state://p')" == "ok" ]]; }

# Starts the nodes of WG_REDIS_CLUSTER_PORTS that are not running (data under .data/redis-cluster/PORT) and, on first
# start, joins them into one cluster (the slots split evenly, no replicas). Nodes keep their cluster configuration in
# their directory, so a restart rejoins the same cluster. A running cluster on those ports is reused as it is.
wg_start_redis_cluster() {
  local ports=($WG_REDIS_CLUSTER_PORTS) port dir started=0
  if wg_redis_cluster_ok "${ports[0]}"; then
    wg_log "Redis Cluster: reusing the cluster on ports ${ports[*]}"
    return 0
  fi
  mkdir -p "$WG_LOGS"
  for port in "${ports[@]}"; do
    dir="$WG_REDIS_CLUSTER_DIR/$port"
    if wg_redis_cli_port "$port" ping >/dev/null 2>&1; then
      [[ "$(wg_redis_cli_port "$port" info cluster 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_enabled://p')" == "1" ]] \
        || wg_die "port $port answers as a Redis without cluster mode; stop it or choose other ports with WG_REDIS_CLUSTER_PORTS"
      continue
    fi
    wg_port_open "$port" && wg_die "port $port is taken by a process that does not answer PING; choose other ports with WG_REDIS_CLUSTER_PORTS"
    mkdir -p "$dir"
    wg_log "Redis Cluster: starting a node on 127.0.0.1:$port (log: $WG_LOGS/redis-cluster-$port.log)"
    # No persistence: the cluster holds queues and caches for tests and benchmarks; nodes.conf alone survives.
    redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --cluster-enabled yes --cluster-config-file nodes.conf \
      --cluster-node-timeout 5000 --appendonly no --save "" \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$WG_LOGS/redis-cluster-$port.log" </dev/null >/dev/null 2>&1 \
      || { wg_tail_log "$WG_LOGS/redis-cluster-$port.log"; wg_die "redis-server failed to start on port $port"; }
    started=1
    WG_STARTED_REDIS_CLUSTER=1
  done

  local i
  local all
  for ((i = 0; i < 100; i++)); do
    all=1
    for port in "${ports[@]}"; do wg_redis_cli_port "$port" ping >/dev/null 2>&1 || all=0; done
    ((all == 1)) && break
    sleep 0.1
  done
  # Fresh nodes know no slots: create the cluster once. Nodes restarted from their nodes.conf find each other.
  if [[ "$(wg_redis_cli_port "${ports[0]}" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_slots_assigned://p')" == "0" ]]; then
    wg_log "Redis Cluster: creating the cluster of ${ports[*]}"
    redis-cli --cluster create $(printf '127.0.0.1:%s ' "${ports[@]}") --cluster-replicas 0 --cluster-yes >"$WG_LOGS/redis-cluster-create.log" 2>&1 \
      || { wg_tail_log "$WG_LOGS/redis-cluster-create.log"; wg_die "redis-cli --cluster create failed"; }
  fi
  for ((i = 0; i < 300; i++)); do
    if wg_redis_cluster_ok "${ports[0]}"; then
      wg_log "Redis Cluster: ready on ports ${ports[*]}$( ((started == 1)) || printf ' (already running)')"
      return 0
    fi
    sleep 0.1
  done
  wg_die "the Redis Cluster on ports ${ports[*]} did not reach cluster_state:ok within 30 s"
}

wg_redis_cli_port() {
  local port="$1"
  shift
  redis-cli -h 127.0.0.1 -p "$port" "$@"
}

# Stops the cluster nodes this checkout started (found through their pid files).
wg_stop_redis_cluster() {
  local port pid
  for port in $WG_REDIS_CLUSTER_PORTS; do
    pid="$(wg_live_pid "$WG_REDIS_CLUSTER_DIR/$port/redis.pid")" || continue
    wg_log "Redis Cluster: stopping the node on port $port (pid $pid)"
    wg_redis_cli_port "$port" shutdown nosave >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
    wg_wait_exit 30 "$pid" || kill -KILL "$pid" 2>/dev/null || true
    rm -f "$WG_REDIS_CLUSTER_DIR/$port/redis.pid"
  done
}

# --- both -------------------------------------------------------------------------------------------------------------

wg_start_services() {
  wg_start_mariadb
  wg_start_redis
}

# Stops the servers this checkout started (found through their pid files), whoever started them.
wg_stop_services() {
  wg_stop_redis_cluster
  wg_stop_redis
  wg_stop_mariadb
}

# Stops only what this shell started; for exit traps.
wg_stop_started_services() {
  if ((WG_STARTED_REDIS_CLUSTER == 1)); then
    wg_stop_redis_cluster
    WG_STARTED_REDIS_CLUSTER=0
  fi
  if ((WG_STARTED_REDIS == 1)); then
    wg_stop_redis
    WG_STARTED_REDIS=0
  fi
  if ((WG_STARTED_MARIADB == 1)); then
    wg_stop_mariadb
    WG_STARTED_MARIADB=0
  fi
}
