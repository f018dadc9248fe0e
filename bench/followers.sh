#!/usr/bin/env bash
# The follower import benchmark (bench/README.md, "Follower import"): the simulator holds WG_BENCH_FOLLOWERS followers
# (default 300,000, each with a UnionID), a gateway in the Web,Worker roles imports them through
# POST /api/admin/accounts/{appId}/sync, and the script samples the sync's progress and the gateway's resident memory
# every 2 s until the sync completes. Prints followers per second and the memory samples.
#
#   bench/followers.sh [--no-build]
#
# Uses MariaDB and Redis as bench/lib.sh does (database wechatgateway_bench_followers, recreated; Redis database 6,
# flushed). Knobs: WG_BENCH_FOLLOWERS (300000), WG_BENCH_CALLS_PER_SECOND (FollowerSync:CallsPerSecond, 1000: the
# simulator has no quota to spare).
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
# shellcheck source=lib.sh
source "$BENCH_DIR/lib.sh"
bench_args "${BASH_SOURCE[0]}" "$@"
WORK="$ROOT/.data/bench-followers"
LOGS="$WORK/logs"
rm -rf "$WORK"
mkdir -p "$LOGS"
bench_servers
if ((BUILD)); then
  bench_build tools/WechatSimulator src/WechatGateway
fi

FOLLOWERS="${WG_BENCH_FOLLOWERS:-300000}"
APP_ID="wxbenchfollowers01"
ADMIN_KEY="bench-admin-key-0123456789abcdef"
ACCOUNTS=("Wechat__Accounts__0__AppId=$APP_ID" "Wechat__Accounts__0__AppSecret=bench-secret" "Wechat__Accounts__0__Type=OfficialAccount"
  "Wechat__Accounts__0__Token=benchtoken")
GATEWAY_SETTINGS=("FollowerSync__CallsPerSecond=${WG_BENCH_CALLS_PER_SECOND:-1000}" "FollowerSync__PollSeconds=1")
bench_start_gateway wechatgateway_bench_followers 6

wg_log "registering $FOLLOWERS followers in the simulator"
START_NS="$(date +%s%N)"
curl -fsS -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"appid\":\"$APP_ID\",\"count\":$FOLLOWERS,\"openIdPrefix\":\"o_bench_\",\"unionIdPrefix\":\"u_bench_\"}" "$SIMULATOR_URL/_sim/users/bulk"
wg_log "registered in $(( ($(date +%s%N) - START_NS) / 1000000 )) ms"

rss_mib() { awk '/^VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$GATEWAY_PID/status"; }
RSS_IDLE="$(rss_mib)"
SYNC_ID="$(curl -fsS -X POST -H "Authorization: Bearer $ADMIN_KEY" "$GATEWAY_URL/api/admin/accounts/$APP_ID/sync" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
START="$(date +%s.%N)"
printf '%8s %9s %9s %8s\n' "seconds" "done" "total" "rss_MiB" | tee "$WORK/samples.txt"
while true; do
  sleep 2
  STATUS="$(curl -fsS -H "Authorization: Bearer $ADMIN_KEY" "$GATEWAY_URL/api/admin/accounts/$APP_ID/sync/$SYNC_ID")"
  read -r STATE DONE TOTAL < <(python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["state"], s["imported"]+s["updated"]+s["unchanged"]+s["failed"], s["total"])' <<<"$STATUS")
  printf '%8.0f %9s %9s %8s\n' "$(echo "$(date +%s.%N) - $START" | bc)" "$DONE" "$TOTAL" "$(rss_mib)" | tee -a "$WORK/samples.txt"
  [[ "$STATE" == running ]] || break
done
ELAPSED="$(echo "$(date +%s.%N) - $START" | bc)"
wg_log "sync $SYNC_ID $STATE: $STATUS"
wg_log "$(python3 -c "print(f'{$DONE / $ELAPSED:.0f} followers/s ({$DONE} in {$ELAPSED:.1f} s); gateway RSS idle ${RSS_IDLE} MiB')")"
wg_log "members: $(bench_sql wechatgateway_bench_followers -e 'SELECT COUNT(*) FROM member')"
