#!/usr/bin/env bash
# The campaign benchmark (bench/README.md, "Campaigns"): one template campaign to a segment of BENCH_MEMBERS members,
# through the running gateway (Gateway:Roles=Web,Worker) and the simulator, in one run:
#   1. campaign sends per second to the simulator (its template/send calls over the run, first decision to completion)
#      at the campaign's largest allowed rate, and the gateway's RSS sampled every second while it runs (flat: the
#      audience is never in memory);
#   2. a "reply" added to the outbox every half second while the campaign runs (a customer-service send, as the reply
#      stage adds it): its delay from add to delivery, which the campaign must not push past 2 s;
#   3. the queue's own figure in the same run: BENCH_QUEUE_SENDS sends added straight to the outbox at once, delivered
#      by the same gateway to the same simulator (no campaign engine, no rate but the account's).
#
#   bench/campaigns.sh [--no-build]
#
# Knobs (environment): BENCH_MEMBERS=100000  BENCH_QUOTA=2000 (SendQueue:PerAccountPerSecond; campaigns get 80%)
# BENCH_QUEUE_SENDS=20000. BENCH_EXTERNAL_SERVERS=1 uses MariaDB and Redis already running (as bench/webhook.sh).
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
MEMBERS="${BENCH_MEMBERS:-100000}"
QUOTA="${BENCH_QUOTA:-2000}"
QUEUE_SENDS="${BENCH_QUEUE_SENDS:-20000}"
BENCH_DB="wechatgateway_bench_campaigns"
BENCH_REDIS_DB="${BENCH_REDIS_DB:-12}"

# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
bench_args "${BASH_SOURCE[0]}" "$@"
WORK="$ROOT/.data/bench-campaigns"
LOGS="$WORK/logs"
rm -rf "$WORK"
mkdir -p "$LOGS"
bench_servers
if ((BUILD)); then
  bench_build tools/WechatSimulator src/WechatGateway
fi

APP=wx00bench0campaign
TEMPLATE=TPL_BENCH_CAMPAIGN
ADMIN_KEY="bench-admin-key-0000000000000012"
ACCOUNTS=(
  "Wechat__Accounts__0__AppId=$APP" "Wechat__Accounts__0__AppSecret=benchsecret0000000000000000000012"
  "Wechat__Accounts__0__Type=OfficialAccount" "Wechat__Accounts__0__Token=benchcampaigntoken" "Wechat__Accounts__0__SecurityMode=Plain"
)
GATEWAY_SETTINGS=("SendQueue__PerAccountPerSecond=$QUOTA" "SendQueue__BatchSize=500" "Campaigns__BatchSize=500")
bench_start_gateway "$BENCH_DB" "$BENCH_REDIS_DB"
sql() { bench_sql "$BENCH_DB" "$@"; }
admin() { curl -fsS -H "Authorization: Bearer $ADMIN_KEY" -H 'Content-Type: application/json' "$@"; }

wg_log "seeding $MEMBERS followers"
sql -e "
SET SESSION max_recursive_iterations = 10000000;
INSERT INTO member (id, nickname, stage, created_at, last_interaction_at)
SELECT n, CONCAT('member ', n), 'follower', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
FROM (WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < $MEMBERS) SELECT n FROM s) seq;
INSERT INTO member_identity (app_id, open_id, member_id, account_type, created_at)
SELECT '$APP', CONCAT('o_bench_', id), id, 'OfficialAccount', UTC_TIMESTAMP(6) FROM member;
INSERT INTO member_follow (app_id, open_id, member_id, subscribed, subscribed_at)
SELECT '$APP', CONCAT('o_bench_', id), id, 1, UTC_TIMESTAMP(6) FROM member;
INSERT INTO segment (name, filter, created_by, created_at, updated_at)
VALUES ('every follower', JSON_OBJECT('appId', '$APP'), 'bench', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));"
SEGMENT="$(sql -e "SELECT MAX(id) FROM segment")"
curl -fsS -o /dev/null -X POST "$SIMULATOR_URL/_sim/templates" -H 'Content-Type: application/json' \
  --data-binary "{\"appid\":\"$APP\",\"templateId\":\"$TEMPLATE\",\"kind\":\"template\"}"
# One send first: the access_token, the connections and the JIT of the send path are not the campaign's.
sql -e "INSERT INTO outbound_send (app_id, to_user, kind, body, source_key, status, created_at)
VALUES ('$APP', 'o_warmup', 'template', JSON_OBJECT('touser', 'o_warmup', 'template_id', '$TEMPLATE', 'data', JSON_OBJECT()), 'bench:warmup', 'pending', UTC_TIMESTAMP(6))"
sleep 2

calls() { curl -fsS "$SIMULATOR_URL/_sim/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['calls'].get('message/template/send', 0))"; }
rss_mib() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$GATEWAY_PID/status"; }

wg_log "campaign to $MEMBERS members"
CALLS_BEFORE="$(calls)"
CAMPAIGN="$(admin -X POST "$GATEWAY_URL/api/admin/campaigns" --data-binary "{
  \"name\": \"bench\", \"segmentId\": $SEGMENT, \"channel\": \"template\",
  \"template\": { \"templateId\": \"$TEMPLATE\", \"data\": { \"first\": \"Hi {{ member.nickname }}\", \"keyword1\": \"{{ member.points.balance }} points\" } } }" \
  | python3 -c "import json,sys; print(json.load(sys.stdin)['id'])")"
RATE="$(admin "$GATEWAY_URL/api/admin/campaigns/$CAMPAIGN" | python3 -c "import json,sys; print(json.load(sys.stdin)['ratePerSecond'])")"
STARTED="$(date +%s.%N)"
RSS_SAMPLES=()
n=0
while true; do
  STATUS="$(admin "$GATEWAY_URL/api/admin/campaigns/$CAMPAIGN" | python3 -c "import json,sys; c=json.load(sys.stdin); print(c['status'], c['targeted'], c['sent'], c['failed'], c['queued'], c['remaining'])")"
  read -r state targeted sent failed queued remaining <<<"$STATUS"
  RSS_SAMPLES+=("$(rss_mib)")
  # A reply, as the reply stage adds one, twice a second while the campaign runs.
  for half in 0 1; do
    n=$((n + 1))
    sql -e "INSERT INTO outbound_send (app_id, to_user, kind, body, source_key, status, created_at)
      VALUES ('$APP', 'o_reply_$n', 'custom', JSON_OBJECT('touser', 'o_reply_$n', 'msgtype', 'text', 'text', JSON_OBJECT('content', 'price list')), 'bench:reply:$n', 'pending', UTC_TIMESTAMP(6))"
    sleep 0.5
  done
  printf '  %s: sent %s of %s, queued %s, remaining %s, gateway RSS %s MiB\n' "$state" "$sent" "$targeted" "$queued" "$remaining" "${RSS_SAMPLES[-1]}"
  [[ "$state" == completed ]] && break
done
ENDED="$(date +%s.%N)"
CAMPAIGN_CALLS=$(($(calls) - CALLS_BEFORE))
CAMPAIGN_SECONDS="$(python3 -c "print($ENDED - $STARTED)")"
REPLIES="$(sql -e "SELECT COUNT(*), ROUND(MAX(TIMESTAMPDIFF(MICROSECOND, created_at, sent_at)) / 1000), ROUND(AVG(TIMESTAMPDIFF(MICROSECOND, created_at, sent_at)) / 1000) FROM outbound_send WHERE source_key LIKE 'bench:reply:%' AND status = 'sent'")"
read -r reply_count reply_max reply_avg <<<"$REPLIES"
RSS_MIN="$(printf '%s\n' "${RSS_SAMPLES[@]}" | sort -n | head -1)"
RSS_MAX="$(printf '%s\n' "${RSS_SAMPLES[@]}" | sort -n | tail -1)"

wg_log "the queue's own figure: $QUEUE_SENDS sends added at once"
QUEUE_BEFORE="$(calls)"
sql -e "
SET SESSION max_recursive_iterations = 10000000;
INSERT INTO outbound_send (app_id, to_user, kind, body, source_key, status, created_at)
SELECT '$APP', CONCAT('o_queue_', n), 'template', JSON_OBJECT('touser', CONCAT('o_queue_', n), 'template_id', '$TEMPLATE', 'data', JSON_OBJECT('first', JSON_OBJECT('value', 'hi'))),
       CONCAT('bench:queue:', n), 'pending', UTC_TIMESTAMP(6)
FROM (WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < $QUEUE_SENDS) SELECT n FROM s) seq"
Q_STARTED="$(date +%s.%N)"
while [[ "$(sql -e "SELECT COUNT(*) FROM outbound_send WHERE source_key LIKE 'bench:queue:%' AND status IN ('pending', 'queued')")" != 0 ]]; do sleep 0.2; done
Q_ENDED="$(date +%s.%N)"
QUEUE_CALLS=$(($(calls) - QUEUE_BEFORE))

python3 - "$MEMBERS" "$RATE" "$CAMPAIGN_CALLS" "$CAMPAIGN_SECONDS" "$QUEUE_CALLS" "$Q_STARTED" "$Q_ENDED" "$reply_count" "$reply_max" "$reply_avg" "$RSS_MIN" "$RSS_MAX" "$QUOTA" <<'PY'
import sys
members, rate, calls, seconds, qcalls, qs, qe, rc, rmax, ravg, rssmin, rssmax, quota = sys.argv[1:]
print(f"members: {members}, account quota {quota}/s, campaign rate {rate}/s (the most the reply reserve allows)")
print(f"campaign: {calls} template sends in {float(seconds):.1f} s = {int(calls) / float(seconds):.0f} sends/s to the simulator (from creation to completed, freezing included)")
print(f"queue alone: {qcalls} sends in {float(qe) - float(qs):.1f} s = {int(qcalls) / (float(qe) - float(qs)):.0f} sends/s to the simulator")
print(f"replies added during the campaign: {rc} delivered, add-to-delivery max {rmax} ms, mean {ravg} ms")
print(f"gateway RSS while the campaign ran: {rssmin}-{rssmax} MiB")
PY
