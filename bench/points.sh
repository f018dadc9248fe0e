#!/usr/bin/env bash
# The loyalty benchmark (bench/README.md, "Loyalty"): in one run against the gateway with its real MySQL and Redis,
#   1. awards per second through the webhook: first follows of new followers (wrk -t1 -c32, each push sent once) under
#      a `subscribe` points rule, from the first push recorded to the last award committed by the processing stage;
#   2. POST /api/mp/me/checkins with 32 concurrent members, every request another member (one check-in per member
#      and day), beside GET /healthz of the same gateway with the same wrk settings (the framework's floor).
# Checks afterwards that every follow awarded exactly once and every 200 check-in left exactly one ledger row.
#
#   bench/points.sh [--no-build]
#
# Knobs (environment): BENCH_FOLLOWS=20000  BENCH_MEMBERS=40000  BENCH_DURATION=10  BENCH_CONNECTIONS=32
# BENCH_EXTERNAL_SERVERS=1 uses MariaDB and Redis already running on WG_MYSQL_PORT / WG_REDIS_PORT (as bench/webhook.sh).
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
FOLLOWS="${BENCH_FOLLOWS:-20000}"
MEMBERS="${BENCH_MEMBERS:-40000}"
DURATION="${BENCH_DURATION:-10}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"

BENCH_DB="wechatgateway_bench_points"
BENCH_REDIS_DB=7

# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
bench_init "${BASH_SOURCE[0]}" bench-points "$@"

APP=wx0000bench0points
MINI=wx0000bench00mini
TOKEN=benchpointstoken
ADMIN_KEY="bench-admin-key-0000000000000002"
ACCOUNTS=(
  "Wechat__Accounts__0__AppId=$APP" "Wechat__Accounts__0__AppSecret=benchsecret0000000000000000000003"
  "Wechat__Accounts__0__Type=OfficialAccount" "Wechat__Accounts__0__Token=$TOKEN" "Wechat__Accounts__0__SecurityMode=Plain"
  "Wechat__Accounts__1__AppId=$MINI" "Wechat__Accounts__1__AppSecret=benchsecret0000000000000000000004"
  "Wechat__Accounts__1__Type=MiniProgram"
)
GATEWAY_SETTINGS=()
bench_start_gateway "$BENCH_DB" "$BENCH_REDIS_DB"

for rule in '{"name":"first follow","trigger":"subscribe","points":10,"enabled":true}' '{"name":"daily check-in","trigger":"checkin","points":5,"enabled":true}'; do
  curl -fsS -o /dev/null -X POST "$GATEWAY_URL/api/admin/points/rules" -H "Authorization: Bearer $ADMIN_KEY" \
    -H 'Content-Type: application/json' --data-binary "$rule" || wg_die "could not create the points rule $rule"
done

# wrk_summary FILE: "req/s p50 p99 non2xx" from wrk --latency output.
wrk_summary() {
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"^\s+" + label + r"%\s+([\d.]+)(us|ms|s)\b", text, re.M)
    if not m: return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
print(f"{float(rps.group(1)) if rps else 0:.0f} {ms('50'):.2f} {ms('99'):.2f} {int(bad.group(1)) if bad else 0}")
PY
}

# --- 1. awards through the webhook -------------------------------------------------------------------------------------
# Followers 0 .. 4F/5-1 of a first-contact file each follow once: FOLLOWS follows need F = FOLLOWS * 5 / 4.
dotnet "$GEN_DLL" pushes --kind first-contact --mode plain --app-id "$APP" --token "$TOKEN" --count "$FOLLOWS" \
  --followers $((FOLLOWS * 5 / 4)) --phase p --msg-id-base 1 --create-time-base "$(date +%s)" --out "$WORK/follows.txt" >"$LOGS/gen.log"
wg_log "awards: $FOLLOWS first follows through the webhook, wrk -t1 -c$CONNECTIONS, each sent once"
WG_PATH="/wechat/$APP" WG_FILE="$WORK/follows.txt" WG_THREADS=1 WG_ONCE=1 \
  wrk -t1 -c"$CONNECTIONS" -d120s --latency --timeout 5s -s "$BENCH_DIR/wrk/webhook.lua" "$GATEWAY_URL" >"$LOGS/wrk-follows.txt" 2>&1 &
WRK_PID=$!
started=$SECONDS
while (($(bench_sql "$BENCH_DB" -e "SELECT COUNT(*) FROM wechat_push") < FOLLOWS)) && ((SECONDS - started < 120)); do sleep 0.2; done
kill -INT "$WRK_PID" 2>/dev/null || true
wait "$WRK_PID" 2>/dev/null || true
WRK_PID=""
while (($(bench_sql "$BENCH_DB" -e "SELECT COUNT(*) FROM wechat_push WHERE status = 'recorded'") > 0)) && ((SECONDS - started < 600)); do sleep 0.5; done
read -r awards award_seconds < <(bench_sql "$BENCH_DB" -e "
  SELECT COUNT(*), TIMESTAMPDIFF(MICROSECOND, (SELECT MIN(received_at) FROM wechat_push), MAX(created_at)) / 1e6 FROM points_ledger
  WHERE rule_id = (SELECT id FROM points_rule WHERE name = 'first follow')")
read -r record_seconds < <(bench_sql "$BENCH_DB" -e "SELECT TIMESTAMPDIFF(MICROSECOND, MIN(received_at), MAX(received_at)) / 1e6 FROM wechat_push")
read -r twice < <(bench_sql "$BENCH_DB" -e "SELECT COUNT(*) FROM (SELECT owner_member_id FROM points_ledger WHERE rule_id = (SELECT id FROM points_rule WHERE name = 'first follow') GROUP BY owner_member_id HAVING COUNT(*) > 1) t")

# --- 2. check-in with 32 concurrent members ------------------------------------------------------------------------
wg_log "check-in: logging in $MEMBERS members"
WG_PATH="/api/mp/$MINI/session" WG_TOKENS="$WORK/tokens" \
  wrk -t2 -c"$CONNECTIONS" -d300s --timeout 5s -s "$BENCH_DIR/wrk/mp-login.lua" "$GATEWAY_URL" >"$LOGS/wrk-login.txt" 2>&1 &
WRK_PID=$!
started=$SECONDS
while (($(cat "$WORK"/tokens.* 2>/dev/null | wc -l) < MEMBERS)) && ((SECONDS - started < 300)) && kill -0 "$WRK_PID" 2>/dev/null; do sleep 0.2; done
kill -INT "$WRK_PID" 2>/dev/null || true
wait "$WRK_PID" 2>/dev/null || true
WRK_PID=""
cat "$WORK"/tokens.* | grep -E '^[A-Za-z0-9_-]+$' >"$WORK/tokens.txt" || true
tokens="$(wc -l <"$WORK/tokens.txt")"
((tokens > 0)) || wg_die "no session token was issued (see $LOGS/wrk-login.txt and $LOGS/gateway.log)"
wg_log "baseline: GET /healthz, wrk -t1 -c$CONNECTIONS -d${DURATION}s"
wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$GATEWAY_URL/healthz" >"$LOGS/wrk-healthz.txt" 2>&1
wg_log "check-in: POST /api/mp/me/checkins, wrk -t1 -c$CONNECTIONS -d${DURATION}s over $tokens members"
WG_TOKENS="$WORK/tokens.txt" WG_THREADS=1 \
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency --timeout 5s -s "$BENCH_DIR/wrk/mp-checkin.lua" "$GATEWAY_URL" >"$LOGS/wrk-checkin.txt" 2>&1
read -r base_rps base_p50 base_p99 base_bad < <(wrk_summary "$LOGS/wrk-healthz.txt")
read -r ci_rps ci_p50 ci_p99 ci_bad < <(wrk_summary "$LOGS/wrk-checkin.txt")
read -r checkins < <(bench_sql "$BENCH_DB" -e "SELECT COUNT(*) FROM points_checkin")
read -r checkin_rows < <(bench_sql "$BENCH_DB" -e "SELECT COUNT(*) FROM points_ledger WHERE rule_id = (SELECT id FROM points_rule WHERE name = 'daily check-in')")

printf '\n| measure | value |\n|---|---:|\n'
printf '| follows recorded | %s in %.1f s |\n' "$FOLLOWS" "$record_seconds"
printf '| first-follow awards | %s, %.0f awards/s (first push recorded → last award committed, %.1f s) |\n' "$awards" "$(python3 -c "print($awards / max($award_seconds, 1e-9))")" "$award_seconds"
printf '| baseline GET /healthz | %s req/s, p50 %s ms, p99 %s ms |\n' "$base_rps" "$base_p50" "$base_p99"
printf '| check-in, %s concurrent members | %s req/s (%.1f%% of the baseline), p50 %s ms, p99 %s ms, non-2xx %s |\n' \
  "$CONNECTIONS" "$ci_rps" "$(python3 -c "print(100 * $ci_rps / max($base_rps, 1))")" "$ci_p50" "$ci_p99" "$ci_bad"
ok=1
[[ "$awards" == "$FOLLOWS" && "$twice" == 0 ]] || { ok=0; printf 'check failed: %s awards for %s follows, %s members awarded twice\n' "$awards" "$FOLLOWS" "$twice"; }
[[ "$checkins" == "$checkin_rows" ]] || { ok=0; printf 'check failed: %s check-ins but %s check-in ledger rows\n' "$checkins" "$checkin_rows"; }
printf 'check: %s follows → %s awards, none twice; %s check-ins → %s ledger rows (the 409s, if any, are tokens re-sent after the last one)\n' \
  "$FOLLOWS" "$awards" "$checkins" "$checkin_rows"
((ok)) || exit 1
