#!/usr/bin/env bash
# A three-node MariaDB Galera cluster on loopback, for running the suite against synchronous multi-primary
# replication (issue 17): deploy/local/galera.sh start | stop | status.
#
# Each node listens on its own loopback address (127.0.0.11, .12, .13) with the same ports, so one MySqlConnector
# connection string names all three: Server=127.0.0.11,127.0.0.12,127.0.0.13;Port=3326;LoadBalance=RoundRobin — each
# new connection goes to the next node, and two transactions of one test meet on different nodes, which is how a
# write-set conflict (1213 at COMMIT) happens in production.
# Data, pid and log of node N under .data/galera/nodeN. Needs galera-4 and rsync (installed here when missing).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
wg_help_if_asked "${BASH_SOURCE[0]}" "${1:-}"

WG_GALERA_PORT="${WG_GALERA_PORT:-3326}"
WG_GALERA_NODES=(127.0.0.11 127.0.0.12 127.0.0.13)
WG_GALERA_PROVIDER="${WG_GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}"

# Each node runs as the unprivileged mysql user (Debian's mariadb-server creates it): a joiner's rsync daemon, started
# by mariadbd, runs as nobody when started by root and then cannot write root's data files.
galera_home() { printf '%s/galera/node%s' "$WG_DATA" "$1"; }
galera_dir() { printf '%s/data' "$(galera_home "$1")"; }
galera_socket() { printf '/tmp/wg-galera-%s-%s.sock' "$(printf '%s' "$WG_ROOT" | md5sum | cut -c1-8)" "$1"; }
galera_sql() { local n="$1"; shift; "$(wg_mysql_client_bin)" --no-defaults --protocol=socket --socket="$(galera_socket "$n")" -uroot -N -B "$@"; }

galera_install() {
  if [[ ! -f "$WG_GALERA_PROVIDER" ]] || ! command -v rsync >/dev/null 2>&1; then
    wg_log "Galera: installing galera-4 and rsync"
    sudo_if_needed apt-get install -y galera-4 rsync >/dev/null
  fi
}

sudo_if_needed() { if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

galera_launch() {
  local n="$1" bootstrap="$2" address="${WG_GALERA_NODES[$1-1]}" dir
  dir="$(galera_dir "$n")"
  local log; log="$(galera_home "$n")/node.log"
  if [[ ! -d "$dir/mysql" ]]; then
    mkdir -p "$dir"
    chown -R mysql:mysql "$(galera_home "$n")"
    "$(command -v mariadb-install-db || command -v mysql_install_db)" --no-defaults --datadir="$dir" --user=mysql \
      --auth-root-authentication-method=socket --skip-test-db >>"$log" 2>&1
  fi
  local members
  members="$(printf '%s:4567,' "${WG_GALERA_NODES[@]}")"
  wg_log "Galera: starting node $n on $address:$WG_GALERA_PORT${bootstrap:+ (bootstrapping the cluster)}"
  # The settings Galera requires (row binlog, interleaved auto-increment locks) and a node address of its own for
  # group communication (4567), incremental state transfer (4568) and full state transfer by rsync (4444).
  # wsrep_sync_wait=15: every statement (reads, updates, inserts) waits until this node has applied every write-set committed before it, so a request
  # reads what the previous request wrote on another node (Galera applies on the other nodes after the commit
  # returns). WG_GALERA_SYNC_WAIT=0 shows what breaks without it.
  setsid "$(wg_mariadbd_bin)" --no-defaults --user=mysql \
    --datadir="$dir" --socket="$(galera_socket "$n")" --pid-file="$(galera_home "$n")/node.pid" \
    --port="$WG_GALERA_PORT" --bind-address="$address" --skip-name-resolve --log-error="$log" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --max-connections=500 \
    --binlog-format=ROW --default-storage-engine=InnoDB --innodb-autoinc-lock-mode=2 \
    --wsrep-on=ON --wsrep-provider="$WG_GALERA_PROVIDER" --wsrep-cluster-name=wechatgateway \
    --wsrep-cluster-address="gcomm://${members%,}" --wsrep-node-address="$address" --wsrep-node-name="node$n" \
    --wsrep-provider-options="gmcast.listen_addr=tcp://$address:4567;ist.recv_addr=$address:4568" \
    --wsrep-sst-method=rsync --wsrep-sst-receive-address="$address:4444" \
    --wsrep-sync-wait="${WG_GALERA_SYNC_WAIT:-15}" \
    ${bootstrap:+--wsrep-new-cluster} </dev/null >>"$log" 2>&1 &
  local i
  for ((i = 0; i < 600; i++)); do
    if [[ "$(galera_sql "$n" -e "SHOW STATUS LIKE 'wsrep_ready'" 2>/dev/null | cut -f2)" == "ON" ]]; then
      return 0
    fi
    sleep 0.2
  done
  wg_tail_log "$log"
  wg_die "Galera node $n did not become ready within 120 s"
}

galera_start() {
  galera_install
  mkdir -p "$WG_DATA/galera"
  chmod 755 "$WG_DATA" "$WG_DATA/galera"
  local n
  for n in 1 2 3; do
    if galera_sql "$n" -e 'SELECT 1' >/dev/null 2>&1; then
      continue
    fi
    # The first node to start bootstraps a new cluster unless another node already runs one.
    local running=""
    for other in 1 2 3; do galera_sql "$other" -e 'SELECT 1' >/dev/null 2>&1 && running=1; done
    if [[ -z "$running" ]]; then
      # A node that was stopped last may bootstrap again (its grastate says so); the ones before it rejoin by IST.
      sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$(galera_dir "$n")/grastate.dat" 2>/dev/null || true
      galera_launch "$n" 1
    else
      galera_launch "$n" ""
    fi
  done
  # Users replicate as DDL, so granting on one node grants on all.
  galera_sql 1 <<'SQL'
CREATE USER IF NOT EXISTS 'wg'@'127.0.0.%' IDENTIFIED BY 'wg';
GRANT ALL PRIVILEGES ON `wechatgateway%`.* TO 'wg'@'127.0.0.%';
SQL
  wg_log "Galera: $(galera_sql 1 -e "SHOW STATUS LIKE 'wsrep_cluster_size'" | cut -f2) nodes in the primary component"
  printf 'WG_TEST_MYSQL="Server=%s;Port=%s;User ID=wg;Password=wg;LoadBalance=RoundRobin"\n' \
    "$(IFS=,; echo "${WG_GALERA_NODES[*]}")" "$WG_GALERA_PORT"
}

galera_stop() {
  local n pid
  for n in 3 2 1; do
    pid="$(wg_live_pid "$(galera_home "$n")/node.pid")" || continue
    wg_log "Galera: stopping node $n (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    wg_wait_exit 60 "$pid" || kill -KILL "$pid" 2>/dev/null || true
  done
}

case "${1:-start}" in
  start) galera_start ;;
  stop) galera_stop ;;
  status) for n in 1 2 3; do printf 'node %s: ' "$n"; galera_sql "$n" -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | cut -f2 || echo down; done ;;
  *) wg_die "usage: $0 start | stop | status" ;;
esac
