#!/usr/bin/env bash
# bench/failover.sh: MariaDB stopped for BENCH_OUTAGE (60) s while a WeChat-like sender (bench/Failover: four tries
# five seconds apart, an answer slower than 5 s counted as none) posts BENCH_RATE (200) pushes/s for
# BENCH_SECONDS (100) s to a Queue-mode account with one auto-reply rule; the outage starts at BENCH_OUTAGE_AT (10) s.
# Prints: pushes lost (never answered 200, or answered and not in wechat_push), pushes replied twice (two
# customer-service messages for one push at the simulator), the answers' p50/p99 while MariaDB was away and outside,
# pushes spooled and replayed, and the drain time: from MariaDB accepting connections again until the spool is empty
# and every push received before that is processed.
#
# The MariaDB it stops is its own: started here on a free loopback port, data under /tmp/wg-failover-mysql
# (--skip-grant-tables, so user wg/wg is accepted), stopped with SIGTERM for the outage and started again on the same
# data. Redis is the one on WG_REDIS_PORT (6379), database BENCH_REDIS_DB (13), flushed at the start. The gateway runs
# as Gateway:Roles=Web,Worker with its spool in .data/failover/spool.
#
# BENCH_DOWN=redis stops Redis instead: the script's own redis-server (free port, no persistence, so it comes back
# empty), and the drain time becomes the time from Redis's return until every reply to a push received before it is
# sent.
#
# usage: bench/failover.sh [--no-build]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_DIR="$ROOT/bench"
# shellcheck source=lib.sh
source "$BENCH_DIR/lib.sh"
bench_args "$0" "$@"

RATE="${BENCH_RATE:-200}"
SECONDS_TOTAL="${BENCH_SECONDS:-100}"
OUTAGE_AT="${BENCH_OUTAGE_AT:-10}"
OUTAGE="${BENCH_OUTAGE:-60}"
REDIS_DB="${BENCH_REDIS_DB:-13}"
WG_REDIS_PORT="${WG_REDIS_PORT:-6379}"
DOWN="${BENCH_DOWN:-mariadb}"
[[ "$DOWN" == mariadb || "$DOWN" == redis ]] || { printf 'BENCH_DOWN is mariadb or redis\n' >&2; exit 2; }
WORK="$ROOT/.data/failover"
LOGS="$WORK/logs"
MYSQL_DIR="/tmp/wg-failover-mysql"
rm -rf "$WORK" "$MYSQL_DIR"
mkdir -p "$LOGS" "$MYSQL_DIR"

wg_log() { printf '==> %s\n' "$*"; }
wg_die() { printf 'error: %s\n' "$*" >&2; exit 1; }
MYSQL_CLIENT="$(command -v mariadb 2>/dev/null || command -v mysql)" || wg_die "the mariadb (or mysql) client is required"
WG_MYSQL_PORT="$(free_port)"
bench_sql() { "$MYSQL_CLIENT" --no-defaults --protocol=tcp -h127.0.0.1 -P"$WG_MYSQL_PORT" -uwg -pwg -N -B "$@"; }
now_ms() { date +%s%3N; }

if ((BUILD)); then
  bench_build tools/WechatSimulator src/WechatGateway bench/Failover
fi

# --- this script's own MariaDB -------------------------------------------------------------------------------------
mariadb-install-db --no-defaults --datadir="$MYSQL_DIR/data" --user=root --skip-test-db >"$LOGS/mariadb-install.log" 2>&1 \
  || { cat "$LOGS/mariadb-install.log" >&2; wg_die "mariadb-install-db failed"; }
MARIADB_PID=""
start_mariadb() {
  setsid mariadbd --no-defaults --user=root --datadir="$MYSQL_DIR/data" --socket="$MYSQL_DIR/mysqld.sock" \
    --pid-file="$MYSQL_DIR/mysqld.pid" --port="$WG_MYSQL_PORT" --bind-address=127.0.0.1 --skip-grant-tables \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --innodb-buffer-pool-size=256M \
    --max-connections=500 >>"$LOGS/mariadb.log" 2>&1 </dev/null &
  MARIADB_PID="$!"
  PIDS+=("$MARIADB_PID")
  local i
  for ((i = 0; i < 600; i++)); do
    bench_sql -e "SELECT 1" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  tail -n 20 "$LOGS/mariadb.log" >&2
  wg_die "MariaDB did not start"
}
stop_mariadb() {
  kill -TERM "$MARIADB_PID"
  while kill -0 "$MARIADB_PID" 2>/dev/null; do sleep 0.05; done
}
start_mariadb
wg_log "MariaDB (this script's own) on 127.0.0.1:$WG_MYSQL_PORT"

# --- with BENCH_DOWN=redis, this script's own Redis, which forgets everything when it stops ---------------------------
REDIS_PID=""
start_redis() {
  redis-server --port "$WG_REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$MYSQL_DIR" >>"$LOGS/redis.log" 2>&1 </dev/null &
  REDIS_PID="$!"
  PIDS+=("$REDIS_PID")
  local i
  for ((i = 0; i < 200; i++)); do
    redis-cli -p "$WG_REDIS_PORT" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  wg_die "Redis did not start"
}
stop_redis() {
  kill -TERM "$REDIS_PID"
  while kill -0 "$REDIS_PID" 2>/dev/null; do sleep 0.05; done
}
if [[ "$DOWN" == redis ]]; then
  WG_REDIS_PORT="$(free_port)"
  REDIS_DB=0
  start_redis
  wg_log "Redis (this script's own, no persistence) on 127.0.0.1:$WG_REDIS_PORT"
fi

# --- simulator and gateway -----------------------------------------------------------------------------------------
APPID="wx0000failover01"
TOKEN="failovertoken"
AESKEY="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
ADMIN_KEY="failover-admin-key-0123456789abcdef"
ACCOUNTS=(
  "Wechat__Accounts__0__AppId=$APPID" "Wechat__Accounts__0__AppSecret=failover-secret" "Wechat__Accounts__0__Type=OfficialAccount"
  "Wechat__Accounts__0__Token=$TOKEN" "Wechat__Accounts__0__EncodingAESKey=$AESKEY" "Wechat__Accounts__0__ReplyMode=Queue"
)
GATEWAY_SETTINGS=("Webhook__Spool__Directory=$WORK/spool" "SendQueue__PerAccountPerSecond=2000" "Logging__LogLevel__WechatGateway=Warning")
bench_start_gateway wechatgateway_failover "$REDIS_DB"
curl -fsS -o /dev/null -H "Authorization: Bearer $ADMIN_KEY" -H 'Content-Type: application/json' "$GATEWAY_URL/api/admin/auto-replies" \
  --data '{"name":"price","match":"contains","keywords":["price"],"reply":{"type":"text","content":"Re: {{ message.content }}"}}' \
  || wg_die "could not add the auto-reply rule"
wg_log "gateway $GATEWAY_URL, simulator $SIMULATOR_URL"

# awk reads the whole scrape: leaving early would fail curl's write, and the pipeline with it.
spool_metric() { curl -fsS "$GATEWAY_URL/metrics" | awk -v m="$1" '!found && ($1 == m || index($1, m "{") == 1) { print $2; found = 1 }'; }

# --- the run -------------------------------------------------------------------------------------------------------
wg_log "sending $RATE pushes/s for $SECONDS_TOTAL s; $DOWN stops at ${OUTAGE_AT} s for $OUTAGE s"
start SENDER "$LOGS/sender.log" -- dotnet "$BENCH_DIR/Failover/bin/Release/net10.0/Failover.dll" "$GATEWAY_URL" "$APPID" "$TOKEN" "$AESKEY" "$RATE" "$SECONDS_TOTAL"
SENDER_OUT="$LOGS/sender.log"
sleep "$OUTAGE_AT"
DOWN_MS="$(now_ms)"
"stop_$DOWN"
wg_log "$DOWN stopped"
sleep "$OUTAGE"
"start_$DOWN"
UP_MS="$(now_ms)"
UP_UTC="$(date -u -d "@$((UP_MS / 1000)).$((UP_MS % 1000))" '+%F %T.%3N')"
wg_log "$DOWN back after $(((UP_MS - DOWN_MS) / 1000)) s; spool depth $(spool_metric wechatgateway_webhook_spool_depth)"

# Drained: the spool is empty. Processed: no push received before the return still waits for its handlers.
# Replied: no reply to such a push still waits to be sent.
DRAINED_MS=""
PROCESSED_MS=""
REPLIED_MS=""
for ((i = 0; i < 1800; i++)); do
  if [[ -z "$DRAINED_MS" && "$(spool_metric wechatgateway_webhook_spool_depth)" == 0 ]]; then
    DRAINED_MS="$(now_ms)"
  fi
  if [[ -n "$DRAINED_MS" && -z "$PROCESSED_MS" && "$(bench_sql -e "SELECT COUNT(*) FROM wechatgateway_failover.wechat_push WHERE status = 'recorded' AND received_at <= '$UP_UTC'")" == 0 ]]; then
    PROCESSED_MS="$(now_ms)"
  fi
  if [[ -n "$PROCESSED_MS" && "$(bench_sql -e "SELECT COUNT(*) FROM wechatgateway_failover.outbound_send s JOIN wechatgateway_failover.wechat_push p ON s.source_key = CONCAT('push:', p.id, ':reply') WHERE s.status IN ('pending', 'queued') AND p.received_at <= '$UP_UTC'")" == 0 ]]; then
    REPLIED_MS="$(now_ms)"
    break
  fi
  sleep 0.1
done
[[ -n "$REPLIED_MS" ]] || wg_die "the backlog was not processed and replied to within 180 s of $DOWN's return"

wg_log "waiting for the sender's last tries"
wait "$SENDER_PID" || wg_die "the sender failed (log: $SENDER_OUT)"
for ((i = 0; i < 1200; i++)); do
  [[ "$(bench_sql -e "SELECT COUNT(*) FROM wechatgateway_failover.wechat_push WHERE status = 'recorded'")" == 0 \
    && "$(bench_sql -e "SELECT COUNT(*) FROM wechatgateway_failover.outbound_send WHERE status IN ('pending', 'queued')")" == 0 ]] && break
  sleep 0.1
done
bench_sql -e "SELECT msg_id FROM wechatgateway_failover.wechat_push" >"$WORK/recorded.txt"
curl -fsS "$SIMULATOR_URL/_sim/messages" >"$WORK/messages.json"
# A counter that never counted is not exported at all.
SPOOLED="$(spool_metric wechatgateway_webhook_spool_spooled_total)"
SPOOLED="${SPOOLED:-0}"
REPLAYED="$(spool_metric wechatgateway_webhook_spool_replayed_total)"
REPLAYED="${REPLAYED:-0}"

python3 - "$SENDER_OUT" "$WORK/recorded.txt" "$WORK/messages.json" "$DOWN_MS" "$UP_MS" <<'EOF'
import json, sys, collections
tries_file, recorded_file, messages_file, down, up = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
pushes = collections.defaultdict(list)
for line in open(tries_file):
    parts = line.rstrip("\n").split("\t")
    if len(parts) != 6 or not parts[0].isdigit():
        continue
    msgid, content, n, started, took, status = parts
    pushes[msgid].append((int(started), float(took), int(status), content))
recorded = set(l.strip() for l in open(recorded_file) if l.strip())
answered = {m for m, t in pushes.items() if any(s == 200 for _, _, s, _ in t)}
lost_unanswered = len(pushes) - len(answered)
lost_unrecorded = len(answered - recorded)
replies = collections.Counter(m["body"]["text"]["content"] for m in json.load(open(messages_file)) if m.get("api", "").endswith("custom/send"))
contents = {t[0][3]: m for m, t in pushes.items()}
twice = sum(1 for c, n in replies.items() if n > 1 and c.startswith("Re: "))
replied = sum(1 for c in replies if c.startswith("Re: ") and c[4:] in contents)
def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] if xs else float("nan")
during = [took if status else 5000.0 for t in pushes.values() for started, took, status, _ in t if down <= started <= up]
steady = [took if status else 5000.0 for t in pushes.values() for started, took, status, _ in t if down + 5000 <= started <= up]
outside = [took if status else 5000.0 for t in pushes.values() for started, took, status, _ in t if not down <= started <= up]
print(f"pushes sent {len(pushes)}, tries {sum(len(t) for t in pushes.values())}, retried {sum(1 for t in pushes.values() if len(t) > 1)}")
print(f"lost: {lost_unanswered} never answered 200, {lost_unrecorded} answered 200 but not in wechat_push")
print(f"replied: {replied} pushes, {twice} replied twice")
print(f"answer during outage: {len(during)} tries, p50 {pct(during, 50):.1f} ms, p99 {pct(during, 99):.1f} ms, max {max(during or [0]):.1f} ms")
print(f"answer during outage from its 5th second: {len(steady)} tries, p50 {pct(steady, 50):.1f} ms, p99 {pct(steady, 99):.1f} ms, max {max(steady or [0]):.1f} ms")
print(f"answer outside outage: {len(outside)} tries, p50 {pct(outside, 50):.1f} ms, p99 {pct(outside, 99):.1f} ms")
EOF
printf 'spooled %s, replayed %s\n' "$SPOOLED" "$REPLAYED"
printf 'load average at the end (2 cores shared with other work shows here): %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'sends by status: %s\n' "$(bench_sql -e "SELECT CONCAT(status, ' ', COUNT(*)) FROM wechatgateway_failover.outbound_send GROUP BY status" | paste -sd, -)"
awk -v d="$DRAINED_MS" -v p="$PROCESSED_MS" -v r="$REPLIED_MS" -v u="$UP_MS" -v what="$DOWN" 'BEGIN { printf "after %s was back: spool empty in %.1f s; pushes received before then processed in %.1f s, their replies sent in %.1f s\n", what, (d - u) / 1000, (p - u) / 1000, (r - u) / 1000 }'
