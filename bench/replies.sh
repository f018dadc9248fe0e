#!/usr/bin/env bash
# The reply-latency benchmark (bench/README.md, "Send queue"): how long a follower waits for a queued auto-reply.
# One gateway (Gateway:Roles=Web,Worker) with two plaintext official accounts and one keyword auto-reply for both:
#   1. baseline: the Passive account at BENCH_RATE pushes/s, the reply rendered in the request and answered in the
#      HTTP response; wrk's latency is the follower's wait;
#   2. queue: the Queue account at the same rate; each push is recorded and answered `success`, the processing stage
#      renders the reply into the outbox, the relay and the dispatcher deliver it with cgi-bin/message/custom/send.
#      Latency per reply: from the push's received_at in wechat_push (the gateway's clock when the POST arrived) to
#      the simulator's "at" for the customer-service message (same machine, same clock).
# Every push comes from its own follower and is sent once (WG_ONCE); 60% are texts with the keyword, the rest LOCATION
# and CLICK events without a reply (bench/WebhookBench.Gen "returning"). Checks that every text got exactly one reply.
#
#   bench/replies.sh [--no-build]
#
# Knobs (environment): BENCH_PUSHES=10000 (per phase)  BENCH_RATE=1000 (pushes/s)  BENCH_WARMUP_PUSHES=3000
# BENCH_CONNECTIONS=32. BENCH_EXTERNAL_SERVERS=1 uses MariaDB and Redis already running on WG_MYSQL_PORT /
# WG_REDIS_PORT (as bench/webhook.sh). Database wechatgateway_bench_replies (recreated), Redis database 6 (flushed).
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
PUSHES="${BENCH_PUSHES:-10000}"
RATE="${BENCH_RATE:-1000}"
WARMUP_PUSHES="${BENCH_WARMUP_PUSHES:-3000}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
BUILD=1
for arg in "$@"; do
  case "$arg" in
    --no-build) BUILD=0 ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) printf 'unknown argument: %s (try --help)\n' "$arg" >&2; exit 2 ;;
  esac
done
for knob in PUSHES RATE WARMUP_PUSHES CONNECTIONS; do
  [[ "${!knob}" =~ ^[1-9][0-9]*$ ]] || { printf 'BENCH_%s must be a positive whole number, not %s\n' "$knob" "${!knob}" >&2; exit 2; }
done
BENCH_DB="wechatgateway_bench_replies"
BENCH_REDIS_DB=6

WORK="$ROOT/.data/bench-replies"
LOGS="$WORK/logs"
rm -rf "$WORK"
mkdir -p "$LOGS"
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
bench_servers

((BUILD)) && bench_build bench/WebhookBench.Gen tools/WechatSimulator src/WechatGateway
GEN_DLL="$BENCH_DIR/WebhookBench.Gen/bin/Release/net10.0/WebhookBench.Gen.dll"

QUEUED=wx0000bench0queued
PASSIVE=wx000bench0passive
TOKEN=benchrepliestoken
ADMIN_KEY="bench-admin-key-0000000000000003"
ACCOUNTS=(
  "Wechat__Accounts__0__AppId=$QUEUED" "Wechat__Accounts__0__AppSecret=benchsecret0000000000000000000005"
  "Wechat__Accounts__0__Type=OfficialAccount" "Wechat__Accounts__0__Token=$TOKEN" "Wechat__Accounts__0__SecurityMode=Plain"
  "Wechat__Accounts__0__ReplyMode=Queue"
  "Wechat__Accounts__1__AppId=$PASSIVE" "Wechat__Accounts__1__AppSecret=benchsecret0000000000000000000006"
  "Wechat__Accounts__1__Type=OfficialAccount" "Wechat__Accounts__1__Token=$TOKEN" "Wechat__Accounts__1__SecurityMode=Plain"
  "Wechat__Accounts__1__ReplyMode=Passive"
)
GATEWAY_SETTINGS=()
bench_start_gateway "$BENCH_DB" "$BENCH_REDIS_DB"

# The reply echoes the text, whose content ends with its MsgId: that is how a delivered reply finds its push.
curl -fsS -o /dev/null -X POST "$GATEWAY_URL/api/admin/auto-replies" -H "Authorization: Bearer $ADMIN_KEY" -H 'Content-Type: application/json' \
  --data-binary '{"appId":null,"name":"bench: points question","match":"contains","keywords":["积分"],"priority":10,"enabled":true,"reply":{"type":"text","content":"You asked: {{ message.content }}"}}' \
  || wg_die "could not create the auto-reply"

# gen APP PHASE COUNT MSG_ID_BASE CREATE_TIME_BASE FILE: COUNT pushes of APP, each from its own follower
# (F = 5 COUNT / 4, so the 4F/5 known followers are exactly COUNT), texts with MsgId MSG_ID_BASE + k.
gen() {
  dotnet "$GEN_DLL" pushes --kind returning --mode plain --app-id "$1" --token "$TOKEN" --count "$3" --followers $(($3 * 5 / 4 > 5 ? $3 * 5 / 4 : 5)) \
    --phase "$2" --msg-id-base "$4" --create-time-base "$5" --out "$6" >>"$LOGS/gen.log"
}
# run APP FILE: wrk at RATE pushes/s over FILE, each line once, stopped as soon as the gateway has recorded every
# line (WG_ONCE sends GET /healthz after the last line: those few are in wrk's figures); prints wrk's WGBENCH line.
run() {
  local app="$1" file="$2" lines before started log
  lines="$(wc -l <"$file")"
  log="$LOGS/wrk-$(basename "$file" .txt).log"
  before="$(bench_sql "$BENCH_DB" -e "SELECT COALESCE(MAX(id), 0) FROM wechat_push")"
  WG_PATH="/wechat/$app" WG_FILE="$file" WG_THREADS=1 WG_ONCE=1 WG_RATE="$RATE" \
    wrk -t1 -c"$CONNECTIONS" -d$((lines / RATE + 120))s --latency --timeout 5s -s "$BENCH_DIR/wrk/webhook.lua" "$GATEWAY_URL" >"$log" 2>&1 &
  WRK_PID=$!
  started=$SECONDS
  while (($(bench_sql "$BENCH_DB" -e "SELECT COUNT(*) FROM wechat_push WHERE id > $before AND app_id = '$app'") < lines)) && ((SECONDS - started < lines / RATE + 120)); do
    sleep 0.05
  done
  kill -INT "$WRK_PID" 2>/dev/null || true
  wait "$WRK_PID" 2>/dev/null || true
  WRK_PID=""
  grep '^WGBENCH' "$log" || wg_die "wrk printed no summary (see $log)"
}
# drain: waits until no push is left unprocessed and no send is left undone (at most 120 s).
drain() {
  local started=$SECONDS
  while (($(bench_sql "$BENCH_DB" -e "SELECT (SELECT COUNT(*) FROM wechat_push WHERE status <> 'processed') + (SELECT COUNT(*) FROM outbound_send WHERE status IN ('pending', 'queued'))") > 0)); do
    ((SECONDS - started < 120)) || { wg_log "still not drained after 120 s"; return 0; }
    sleep 0.2
  done
}

# Each phase its own MsgIds and CreateTimes, so no push of one is a retry of another's (WeChat's dedup keys).
now="$(date +%s)"
gen "$QUEUED" w "$WARMUP_PUSHES" 1 $((now - 2000)) "$WORK/warmup-queue.txt"
gen "$PASSIVE" w "$WARMUP_PUSHES" 1 $((now - 2000)) "$WORK/warmup-passive.txt"
gen "$PASSIVE" p "$PUSHES" 1000000000 $((now - 1000)) "$WORK/passive.txt"
gen "$QUEUED" q "$PUSHES" 1000000000 $((now - 1000)) "$WORK/queue.txt"

wg_log "warm-up: $WARMUP_PUSHES pushes to each account at $RATE/s"
run "$PASSIVE" "$WORK/warmup-passive.txt" >/dev/null
run "$QUEUED" "$WORK/warmup-queue.txt" >/dev/null
drain
curl -fsS -o /dev/null -X DELETE "$SIMULATOR_URL/_sim/messages"

wg_log "baseline: $PUSHES pushes to the Passive account at $RATE/s ($(uptime | sed 's/.*load/load/'))"
passive="$(run "$PASSIVE" "$WORK/passive.txt")"
drain
wg_log "queue: $PUSHES pushes to the Queue account at $RATE/s"
queued="$(run "$QUEUED" "$WORK/queue.txt")"
drain
wg_log "done (uptime: $(uptime | sed 's/.*load/load/'))"

bench_sql "$BENCH_DB" -e "SELECT msg_id, DATE_FORMAT(received_at, '%Y-%m-%dT%H:%i:%s.%fZ') FROM wechat_push WHERE app_id = '$QUEUED' AND msg_type = 'text' AND msg_id >= 1000000000" >"$WORK/texts.tsv"
curl -fsS "$SIMULATOR_URL/_sim/messages" >"$WORK/messages.json"
python3 - "$WORK/texts.tsv" "$WORK/messages.json" "$passive" "$queued" "$RATE" "$PUSHES" <<'PY'
import json, re, sys
from datetime import datetime
texts_file, messages_file, passive, queued, rate, pushes = sys.argv[1:]
def at(text):
    # Python 3.11 parses at most 6 fractional digits; .NET writes 7.
    text = re.sub(r"(\.\d{6})\d*", r"\1", text.replace("Z", "+00:00"))
    return datetime.fromisoformat(text if "+" in text[10:] else text + "+00:00")
received = {}
for line in open(texts_file):
    msg_id, when = line.rstrip("\n").split("\t")
    received[msg_id] = at(when)
replies = {}
for m in json.load(open(messages_file)):
    if m["api"] != "message/custom/send":
        continue
    msg_id = m["body"]["text"]["content"].rsplit(" ", 1)[-1]
    replies.setdefault(msg_id, []).append(at(m["at"]))
latencies = sorted((min(replies[k]) - v).total_seconds() * 1000 for k, v in received.items() if k in replies)
def pct(p):
    return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")
def wrk(line):
    return dict(kv.split("=") for kv in line.split()[1:])
p, q = wrk(passive), wrk(queued)
print()
print(f"| {pushes} pushes at {rate}/s, each from its own follower | p50 ms | p99 ms | max ms | note |")
print("|---|---:|---:|---:|---|")
print(f"| baseline: Passive account, reply in the HTTP response (wrk) | {float(p['p50_ms']):.1f} | {float(p['p99_ms']):.1f} | {float(p['max_ms']):.1f} | {float(p['rps']):.0f} req/s, non-2xx {p['non2xx']} |")
print(f"| Queue account, answer `success` (wrk) | {float(q['p50_ms']):.1f} | {float(q['p99_ms']):.1f} | {float(q['max_ms']):.1f} | {float(q['rps']):.0f} req/s, non-2xx {q['non2xx']} |")
print(f"| Queue account, push received -> reply at the simulator | {pct(0.50):.1f} | {pct(0.99):.1f} | {latencies[-1] if latencies else float('nan'):.1f} | {len(latencies)} replies to {len(received)} texts |")
twice = sum(1 for k in replies if len(replies[k]) > 1)
stray = sum(1 for k in replies if k not in received)
ok = len(latencies) == len(received) and twice == 0 and stray == 0 and int(q["non2xx"]) == 0
print(f"check: {len(received)} texts -> {len(latencies)} replies, {twice} replied twice, {stray} replies without their push: {'ok' if ok else 'FAILED'}")
sys.exit(0 if ok else 1)
PY
