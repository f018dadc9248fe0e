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
# A warm-up phase first sends the same mix from the same followers to each account (JIT, pools; with the default
# BENCH_WARMUP_PUSHES every measured follower is a member by then, as a returning follower is), not counted.
# The table also splits the queued reply's wait by stage, from the rows: received -> the reply added to the outbox (the
# processing stage), added -> queued on the stream (the relay, which sees the send once the processing batch commits),
# queued -> sent (the dispatcher's WeChat call included).
#
# Knobs (environment): BENCH_PUSHES=10000 (per phase)  BENCH_RATE=1000 (pushes/s)  BENCH_WARMUP_PUSHES=BENCH_PUSHES
# BENCH_CONNECTIONS=32. BENCH_EXTERNAL_SERVERS=1 uses MariaDB and Redis already running on WG_MYSQL_PORT /
# WG_REDIS_PORT (as bench/webhook.sh). Database wechatgateway_bench_replies (recreated), Redis database 6 (flushed).
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
PUSHES="${BENCH_PUSHES:-10000}"
RATE="${BENCH_RATE:-1000}"
WARMUP_PUSHES="${BENCH_WARMUP_PUSHES:-$PUSHES}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
for knob in PUSHES RATE WARMUP_PUSHES CONNECTIONS; do
  [[ "${!knob}" =~ ^[1-9][0-9]*$ ]] || { printf 'BENCH_%s must be a positive whole number, not %s\n' "$knob" "${!knob}" >&2; exit 2; }
done
((PUSHES >= RATE && WARMUP_PUSHES >= RATE)) || { printf 'BENCH_PUSHES and BENCH_WARMUP_PUSHES must be at least BENCH_RATE (one second of pushes)\n' >&2; exit 2; }
BENCH_DB="wechatgateway_bench_replies"
BENCH_REDIS_DB=6

# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
bench_init "${BASH_SOURCE[0]}" bench-replies "$@"

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
# run APP FILE: wrk at RATE pushes/s over FILE for lines / RATE seconds, so that it stops about when the last line is
# sent (a few at the end may be left unsent: the figures count only what was sent; a push answered 200 is recorded);
# prints wrk's WGBENCH line.
run() {
  local app="$1" file="$2" log
  log="$LOGS/wrk-$(basename "$file" .txt).log"
  WG_PATH="/wechat/$app" WG_FILE="$file" WG_THREADS=1 WG_ONCE=1 WG_RATE="$RATE" \
    wrk -t1 -c"$CONNECTIONS" -d$(($(wc -l <"$file") / RATE))s --latency --timeout 5s -s "$BENCH_DIR/wrk/webhook.lua" "$GATEWAY_URL" >"$log" 2>&1
  grep '^WGBENCH' "$log" || wg_die "wrk printed no summary (see $log)"
}
# drain: waits until no push is left unprocessed and no send is left undone (at most 300 s).
drain() {
  local started=$SECONDS
  while (($(bench_sql "$BENCH_DB" -e "SELECT (SELECT COUNT(*) FROM wechat_push WHERE status <> 'processed') + (SELECT COUNT(*) FROM outbound_send WHERE status IN ('pending', 'queued'))") > 0)); do
    ((SECONDS - started < 300)) || { wg_log "still not drained after 300 s"; return 0; }
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
bench_sql "$BENCH_DB" -e "
  SELECT TIMESTAMPDIFF(MICROSECOND, p.received_at, s.created_at), TIMESTAMPDIFF(MICROSECOND, s.created_at, s.queued_at), TIMESTAMPDIFF(MICROSECOND, s.queued_at, s.sent_at)
  FROM outbound_send s JOIN wechat_push p ON s.source_key = CONCAT('push:', p.id, ':reply')
  WHERE p.app_id = '$QUEUED' AND p.msg_id >= 1000000000 AND s.status = 'sent'" >"$WORK/stages.tsv"
curl -fsS "$SIMULATOR_URL/_sim/messages" >"$WORK/messages.json"
python3 - "$WORK/texts.tsv" "$WORK/messages.json" "$passive" "$queued" "$RATE" "$PUSHES" "$WORK/stages.tsv" <<'PY'
import json, re, sys
from datetime import datetime
texts_file, messages_file, passive, queued, rate, pushes, stages_file = sys.argv[1:]
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
stages = [list(map(int, line.split("\t"))) for line in open(stages_file) if line.strip()]
for i, name in enumerate(["received -> added to the outbox (processing stage)", "added -> queued (relay, after the batch commits)", "queued -> sent (dispatcher)"]):
    values = sorted(row[i] / 1000 for row in stages)
    if values:
        print(f"| &nbsp;&nbsp;of which {name} | {values[len(values) // 2]:.1f} | {values[min(len(values) - 1, int(0.99 * len(values)))]:.1f} | {values[-1]:.1f} | |")
twice = sum(1 for k in replies if len(replies[k]) > 1)
stray = sum(1 for k in replies if k not in received)
ok = len(latencies) == len(received) and twice == 0 and stray == 0 and int(q["non2xx"]) == 0
print(f"check: {len(received)} texts -> {len(latencies)} replies, {twice} replied twice, {stray} replies without their push: {'ok' if ok else 'FAILED'}")
sys.exit(0 if ok else 1)
PY
