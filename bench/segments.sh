#!/usr/bin/env bash
# The segment preview benchmark (bench/README.md, "Segments"): GET /api/admin/segments/{id}/preview (the count and the
# first 20 members) of the real gateway over BENCH_MEMBERS members (1,000,000), one saved segment per kind of filter,
# each previewed BENCH_RUNS times after one warm-up; prints count, median and slowest time per segment.
#
#   bench/segments.sh [--no-build]
#
# Database wechatgateway_bench_segments (recreated, migrated by the gateway, then seeded in SQL from MariaDB's sequence
# engine: members with identities, follows, tags, points and RFM scores spread as described in bench/README.md), Redis
# database 5 (flushed). The gateway runs in the Web role only, so no worker job (the nightly RFM rescale) competes with
# the measured requests. BENCH_EXTERNAL_SERVERS=1 uses MariaDB and Redis already running (as the other scripts).
# Knobs: BENCH_MEMBERS=1000000  BENCH_RUNS=5  BENCH_KEEP_SEED=1 (reuse the database of an earlier run when it holds
# BENCH_MEMBERS members and no segment: seeding 1M takes 3 minutes on a busy machine)
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
MEMBERS="${BENCH_MEMBERS:-1000000}"
RUNS="${BENCH_RUNS:-5}"
for knob in MEMBERS RUNS; do
  [[ "${!knob}" =~ ^[1-9][0-9]*$ ]] || { printf 'BENCH_%s must be a positive whole number, not %s\n' "$knob" "${!knob}" >&2; exit 2; }
done
BENCH_DB="wechatgateway_bench_segments"
BENCH_REDIS_DB=5

# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
bench_args "${BASH_SOURCE[0]}" "$@"
WORK="$ROOT/.data/bench-segments"
LOGS="$WORK/logs"
rm -rf "$WORK"
mkdir -p "$LOGS"
bench_servers
((BUILD == 0)) || bench_build tools/WechatSimulator src/WechatGateway

APP=wx00000bench0segment
ADMIN_KEY="bench-admin-key-0000000000000005"
ACCOUNTS=(
  "Wechat__Accounts__0__AppId=$APP" "Wechat__Accounts__0__AppSecret=benchsecret0000000000000000000007"
  "Wechat__Accounts__0__Type=OfficialAccount" "Wechat__Accounts__0__Token=benchsegmentstoken" "Wechat__Accounts__0__SecurityMode=Plain"
)
GATEWAY_SETTINGS=("Gateway__Roles=Web")
seeded=0
if [[ "${BENCH_KEEP_SEED:-0}" == 1 ]] \
  && [[ "$(bench_sql -e "SELECT COUNT(*) FROM \`$BENCH_DB\`.member" 2>/dev/null || true)" == "$MEMBERS" ]]; then
  bench_sql "$BENCH_DB" -e "TRUNCATE TABLE segment"
  seeded=1
fi
BENCH_KEEP_DB=$seeded bench_start_gateway "$BENCH_DB" "$BENCH_REDIS_DB"

if ((seeded == 0)); then
wg_log "seeding $MEMBERS members ($(uptime | sed 's/.*load/load/'))"
started=$SECONDS
# 200 stores in 20 cities. Members: 70% with a home store (and its city), stages 40% follower, 15% registered,
# 15% customer, 10% repeat, 15% dormant, 5% lost; last interaction spread over a year; 95% still follow; tags:
# coffee-lover 30%, tea 10%, vip 1%, and one of 97 others each; 60% with points (lifetime up to 10,000: basic,
# silver, gold); 30% with RFM scores.
bench_sql "$BENCH_DB" >/dev/null <<SQL
SET SESSION unique_checks = 0;
INSERT INTO store (id, name, city, district, lat, lng, active, created_at, updated_at)
SELECT seq, CONCAT('store ', seq), CONCAT('city-', seq % 20), CONCAT('district-', seq % 60), 31 + (seq % 100) / 100, 121 + (seq % 97) / 100, 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
  FROM seq_1_to_200;
INSERT INTO member (id, nickname, stage, home_store_id, city, first_channel, created_at, last_interaction_at)
SELECT seq, CONCAT('member ', seq),
       ELT(1 + FLOOR((seq * 7 % 100) / 5), 'follower','follower','follower','follower','follower','follower','follower','follower',
           'registered','registered','registered','customer','customer','customer','repeat','repeat','dormant','dormant','dormant','lost'),
       IF(seq % 10 < 7, 1 + seq % 200, NULL), IF(seq % 10 < 7, CONCAT('city-', (1 + seq % 200) % 20), NULL),
       CONCAT('store', seq % 50), UTC_TIMESTAMP(6) - INTERVAL 400 DAY, UTC_TIMESTAMP(6) - INTERVAL (seq * 7919 % 365) DAY
  FROM seq_1_to_${MEMBERS};
INSERT INTO member_identity (app_id, open_id, member_id, account_type, created_at)
SELECT '$APP', CONCAT('o_bench_', seq), seq, 'OfficialAccount', UTC_TIMESTAMP(6) FROM seq_1_to_${MEMBERS};
INSERT INTO member_follow (app_id, open_id, member_id, subscribed, subscribed_at)
SELECT '$APP', CONCAT('o_bench_', seq), seq, seq % 20 <> 0, UTC_TIMESTAMP(6) FROM seq_1_to_${MEMBERS};
INSERT INTO member_tag (member_id, tag, source)
SELECT seq, 'coffee-lover', 'rule' FROM seq_1_to_${MEMBERS} WHERE seq % 10 < 3
UNION ALL SELECT seq, 'tea', 'rule' FROM seq_1_to_${MEMBERS} WHERE seq % 10 = 9
UNION ALL SELECT seq, 'vip', 'manual' FROM seq_1_to_${MEMBERS} WHERE seq % 100 = 42
UNION ALL SELECT seq, CONCAT('tag-', seq % 97), 'scan' FROM seq_1_to_${MEMBERS};
INSERT INTO points_account (member_id, balance, lifetime, tier, updated_at)
SELECT seq, seq * 31 % 5000, seq * 53 % 10000, NULL, UTC_TIMESTAMP(6) FROM seq_1_to_${MEMBERS} WHERE seq % 10 < 6;
INSERT INTO member_rfm (member_id, last_order_at, orders, amount, r, f, m, scored_at)
SELECT seq, UTC_TIMESTAMP(6) - INTERVAL (seq % 300) DAY, 1 + seq % 12, (seq % 5000) + 0.5, 1 + seq % 5, 1 + (seq DIV 5) % 5, 1 + (seq DIV 25) % 5, UTC_TIMESTAMP(6)
  FROM seq_1_to_${MEMBERS} WHERE seq % 10 IN (1, 4, 7);
ANALYZE TABLE member, member_identity, member_follow, member_tag, points_account, member_rfm PERSISTENT FOR ALL;
SQL
wg_log "seeded in $((SECONDS - started)) s"
else
  wg_log "reusing the $MEMBERS members seeded before"
fi

before="$(date -u -d '-60 days' +%Y-%m-%dT00:00:00Z)"
after="$(date -u -d '-30 days' +%Y-%m-%dT00:00:00Z)"
SEGMENTS=(
  "everyone on the account|{\"appId\":\"$APP\"}"
  "every follower|{\"appId\":\"$APP\",\"subscribed\":true}"
  "active followers (80%)|{\"appId\":\"$APP\",\"stages\":[\"follower\",\"registered\",\"customer\",\"repeat\"],\"subscribed\":true}"
  "dormant followers (win-back)|{\"appId\":\"$APP\",\"stages\":[\"dormant\"],\"subscribed\":true}"
  "gold at store 3, quiet 60 days|{\"appId\":\"$APP\",\"tiers\":[\"gold\"],\"storeIds\":[3],\"lastInteractionBefore\":\"$before\",\"subscribed\":true}"
  "vip tag (1%)|{\"appId\":\"$APP\",\"tagsAny\":[\"vip\"]}"
  "coffee-lover and tag-5, not tea|{\"appId\":\"$APP\",\"tagsAll\":[\"coffee-lover\",\"tag-5\"],\"tagsNone\":[\"tea\"]}"
  "RFM r 4-5, f 4-5|{\"appId\":\"$APP\",\"rfm\":{\"r\":[4,5],\"f\":[4,5]}}"
  "points 1000-2000|{\"appId\":\"$APP\",\"pointsMin\":1000,\"pointsMax\":2000}"
  "city-7, active 30 days|{\"appId\":\"$APP\",\"cities\":[\"city-7\"],\"lastInteractionAfter\":\"$after\"}"
  "first channel store7, customers|{\"appId\":\"$APP\",\"firstChannel\":\"store7\",\"stages\":[\"customer\",\"repeat\"]}"
)

printf '| segment | count | median ms | slowest ms |\n|---|---:|---:|---:|\n' >"$WORK/results.md"
for entry in "${SEGMENTS[@]}"; do
  name="${entry%%|*}"
  filter="${entry#*|}"
  id="$(curl -fsS -X POST "$GATEWAY_URL/api/admin/segments" -H "Authorization: Bearer $ADMIN_KEY" -H 'Content-Type: application/json' \
    --data-binary "{\"name\":\"$name\",\"filter\":$filter}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')" || wg_die "could not save segment '$name'"
  url="$GATEWAY_URL/api/admin/segments/$id/preview"
  count="$(curl -fsS "$url" -H "Authorization: Bearer $ADMIN_KEY" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')"
  times=()
  for ((i = 0; i < RUNS; i++)); do
    times+=("$(curl -fsS -o /dev/null -w '%{time_total}' "$url" -H "Authorization: Bearer $ADMIN_KEY")")
  done
  python3 - "$name" "$count" "${times[@]}" >>"$WORK/results.md" <<'PY'
import statistics, sys
name, count, *times = sys.argv[1:]
ms = sorted(float(t) * 1000 for t in times)
print(f"| {name} | {int(count):,} | {statistics.median(ms):.0f} | {ms[-1]:.0f} |")
PY
done
wg_log "done ($(uptime | sed 's/.*load/load/'); MariaDB innodb_buffer_pool_size $(bench_sql -e 'SELECT @@innodb_buffer_pool_size DIV 1048576') MiB)"
cat "$WORK/results.md"
