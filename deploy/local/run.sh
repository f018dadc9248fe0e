#!/usr/bin/env bash
# Runs the whole product on this machine: installs what is missing (MariaDB, Redis), starts them on loopback with data
# under .data/, builds and starts the WeChat simulator and the gateway (which migrates its schema at start), with one
# demo official account and one demo mini-program, then prints the URLs and ready-to-paste examples.
#
#   deploy/local/run.sh            run in the foreground; Ctrl-C stops everything this run started
#   deploy/local/run.sh --detach   start, print, and return (everything keeps running)
#   deploy/local/run.sh --stop     stop what an earlier run started (gateway, simulator, MariaDB, Redis)
#   deploy/local/run.sh --stop-apps  stop only the gateway and the simulator (MariaDB and Redis keep running)
#
# Ports: WG_GATEWAY_URL (http://127.0.0.1:5080), WG_SIMULATOR_URL (http://127.0.0.1:5090), WG_MYSQL_PORT (3306),
# WG_REDIS_PORT (6379). WG_NO_BUILD=1 skips the build; WG_READY_TIMEOUT (120) bounds the wait for /readyz.

# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The demo accounts only exist in the simulator, so these values are safe to print and to commit.
DEMO_OA_APPID="wx0000demo0fficial"
DEMO_OA_SECRET="demoofficialsecret00000000000000"
DEMO_OA_TOKEN="wgdemotoken2026"
DEMO_OA_AESKEY="WechatGatewayDemoEncodingAesKey000000000000"
DEMO_MP_APPID="wx0000demo00minapp"
DEMO_MP_SECRET="demominiprogramsecret00000000000"
DEMO_ADMIN_KEY="wg-demo-admin-key-0000000000000000"
DEMO_OPENID="oDEMO_follower_000000000001"

GATEWAY_PIDFILE="$WG_DATA/gateway.pid"
SIMULATOR_PIDFILE="$WG_DATA/simulator.pid"
GATEWAY_LOG="$WG_LOGS/gateway.log"
SIMULATOR_LOG="$WG_LOGS/simulator.log"
READY_TIMEOUT="${WG_READY_TIMEOUT:-120}"

usage() {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# The port of an http://host:port URL.
url_port() {
  local hostport="${1#*://}"
  hostport="${hostport%%/*}"
  if [[ "$hostport" == *:* ]]; then printf '%s\n' "${hostport##*:}"; else printf '80\n'; fi
}

# Stops an app started by start_app: its whole process group (dotnet run and the app it spawned).
stop_app() {
  local name="$1" pidfile="$2" pid
  pid="$(wg_live_pid "$pidfile")" || { rm -f "$pidfile"; return 0; }
  wg_log "$name: stopping (pid $pid)"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  if ! wg_wait_exit 20 "$pid"; then
    wg_warn "$name did not stop within 20 s; killing it"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

stop_apps() {
  stop_app "gateway" "$GATEWAY_PIDFILE"
  stop_app "simulator" "$SIMULATOR_PIDFILE"
}

# The configuration both processes read: the simulator takes the accounts' AppId/AppSecret from the same keys.
app_env() {
  printf '%s\n' \
    "ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Development}" \
    "ConnectionStrings__MySql=$WG_MYSQL_CS" \
    "ConnectionStrings__Redis=$WG_REDIS_CS" \
    "Wechat__ApiBaseUrl=$WG_SIMULATOR_URL" \
    "Wechat__Accounts__0__AppId=$DEMO_OA_APPID" \
    "Wechat__Accounts__0__AppSecret=$DEMO_OA_SECRET" \
    "Wechat__Accounts__0__Name=Demo official account" \
    "Wechat__Accounts__0__Type=OfficialAccount" \
    "Wechat__Accounts__0__Token=$DEMO_OA_TOKEN" \
    "Wechat__Accounts__0__EncodingAESKey=$DEMO_OA_AESKEY" \
    "Wechat__Accounts__0__ReplyMode=Passive" \
    "Wechat__Accounts__0__SecurityMode=Compatible" \
    "Wechat__Accounts__1__AppId=$DEMO_MP_APPID" \
    "Wechat__Accounts__1__AppSecret=$DEMO_MP_SECRET" \
    "Wechat__Accounts__1__Name=Demo mini-program" \
    "Wechat__Accounts__1__Type=MiniProgram" \
    "Admin__ApiKeys__0__Name=demo-admin" \
    "Admin__ApiKeys__0__Key=$DEMO_ADMIN_KEY" \
    "Admin__ApiKeys__0__Role=Admin" \
    "Events__TicketKey=demo-ticket-key-$DEMO_ADMIN_KEY" \
    "Webhook__Spool__Directory=$WG_DATA/spool"
}

# Starts `dotnet run` for a project in its own session (so Ctrl-C reaches only this script, which then stops it cleanly).
start_app() {
  local name="$1" pidfile="$2" log="$3" project="$4" url="$5"
  local port
  port="$(url_port "$url")"
  if wg_port_open "$port"; then
    wg_die "port $port ($name, $url) is taken by another process; stop it or choose another URL (WG_GATEWAY_URL / WG_SIMULATOR_URL)"
  fi
  local env_vars=()
  mapfile -t env_vars < <(app_env)
  wg_log "$name: starting on $url (log: $log)"
  # One log per run (the previous one is kept as .1), so a start-up failure shows only this run's lines.
  [[ ! -f "$log" ]] || mv -f "$log" "$log.1"
  (
    cd "$WG_ROOT"
    exec env "${env_vars[@]}" setsid dotnet run --no-build --no-launch-profile -c Release \
      --project "$project" -- --urls "$url"
  ) </dev/null >>"$log" 2>&1 &
  printf '%s\n' "$!" >"$pidfile"
}

# Polls a URL until it answers 200, while the process lives; on failure prints the log and exits.
wait_http_ok() {
  local name="$1" pidfile="$2" log="$3" url="$4" timeout="$5" pid i
  pid="$(cat "$pidfile")"
  for ((i = 0; i < timeout * 2; i++)); do
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null || true)" == "200" ]]; then
      wg_log "$name: ready ($url)"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      wg_tail_log "$log" 60
      wg_die "$name exited during start-up (see the log above)"
    fi
    sleep 0.5
  done
  printf 'last answer from %s:\n' "$url" >&2
  curl -s --max-time 5 "$url" >&2 || true
  printf '\n' >&2
  wg_tail_log "$log" 60
  wg_die "$name did not answer 200 on $url within $timeout s"
}

# The demo the banner walks through (deploy/local/seed_demo.py): rules, a store with a group and a live code, a
# reward, added through the admin API the first time (the database in .data keeps them across runs).
DEMO_SCENE=""
seed_demo() {
  local out
  out="$(python3 "$WG_ROOT/deploy/local/seed_demo.py" "$WG_GATEWAY_URL" "$DEMO_ADMIN_KEY" "$DEMO_OA_APPID")" \
    || wg_die "could not seed the demo through $WG_GATEWAY_URL/api/admin"
  grep -v '^scene=' <<<"$out" || true
  DEMO_SCENE="$(sed -n 's/^scene=//p' <<<"$out")"
}

print_banner() {
  local gw="$WG_GATEWAY_URL" sim="$WG_SIMULATOR_URL"
  cat <<EOF

WechatGateway is running.

  Gateway             $gw   (health: $gw/healthz, $gw/readyz)
  Metrics             $gw/metrics
  API docs            $gw/openapi/v1.json
  WeChat simulator    $sim   (what WeChat delivered to followers: $sim/_sim/messages)
  Logs                $WG_LOGS/gateway.log, simulator.log, mariadb.log, redis.log
  MySQL / Redis       $WG_MYSQL_CS / $WG_REDIS_CS

Demo official account $DEMO_OA_APPID, for the WeChat console's server configuration (服务器配置):
  URL                 $gw/wechat/$DEMO_OA_APPID   (behind your public HTTPS address for real WeChat)
  Token               $DEMO_OA_TOKEN
  EncodingAESKey      $DEMO_OA_AESKEY
  Message mode        compatible (兼容模式) for the demo, so safe and plaintext pushes both work; set SecurityMode=Safe in production
Demo mini-program     $DEMO_MP_APPID
Admin API key         $DEMO_ADMIN_KEY   (role Admin; send it as "Authorization: Bearer ...")
Ops console           $gw/admin/   (sign in with the admin key)

Try it (the demo: a welcome with 100 follow points, a store with a group and a live code, check-in points, a reward):
  push() { dotnet run --no-build -c Release --project $WG_ROOT/tools/WechatSimulator -- push --gateway $gw --appid $DEMO_OA_APPID --token $DEMO_OA_TOKEN --aes-key $DEMO_OA_AESKEY "\$@"; }

  # 1. a follower follows through the store's live code: the passive reply welcomes them with their 100 points,
  #    and the group invitation (intro and QR code) goes out through the customer-service API
  push --openid $DEMO_OPENID --event subscribe --event-key qrscene_$DEMO_SCENE
  curl -s "$sim/_sim/messages?touser=$DEMO_OPENID"

  # 2. the follower writes "hello": a rendered passive reply (safe mode, decrypted by the simulator)
  push --mode safe --openid $DEMO_OPENID --text "hello"

  # 3. another follower shares a location near the store: steered to the store's group
  push --openid oDEMO_follower_000000000002 --event subscribe
  push --openid oDEMO_follower_000000000002 --type location-event --lat 31.2290 --lng 121.4475
  curl -s "$sim/_sim/messages?touser=oDEMO_follower_000000000002"

  # 4. a mini-program user logs in (the simulator accepts the code sim:OPENID or sim:OPENID:UNIONID from wx.login())
  #    and checks in: 10 points, a second check-in the same day is 409
  token=\$(curl -s -X POST $gw/api/mp/$DEMO_MP_APPID/session -H 'Content-Type: application/json' -d '{"code":"sim:oDEMO_mini_000000000001"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  curl -s -X POST $gw/api/mp/me/checkins -H "Authorization: Bearer \$token"
  curl -s $gw/api/mp/rewards -H "Authorization: Bearer \$token"

  # every admin write, newest first
  curl -s -H "Authorization: Bearer $DEMO_ADMIN_KEY" $gw/api/admin/audit

EOF
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_apps
  wg_stop_started_services
  exit "$rc"
}

main() {
  local mode="foreground"
  case "${1:-}" in
    "") ;;
    --detach) mode="detach" ;;
    --stop) mode="stop" ;;
    --stop-apps) mode="stop-apps" ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      exit 2
      ;;
  esac

  if [[ "$mode" == "stop-apps" ]]; then
    stop_apps
    exit 0
  fi

  if [[ "$mode" == "stop" ]]; then
    stop_apps
    wg_stop_services
    wg_log "stopped"
    exit 0
  fi

  mkdir -p "$WG_LOGS"
  # An earlier --detach run of this checkout is replaced, not doubled.
  stop_apps

  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  wg_install_packages
  wg_start_services

  if [[ "${WG_NO_BUILD:-0}" != "1" ]]; then
    wg_log "building (Release)"
    dotnet build "$WG_ROOT/src/WechatGateway" -c Release -nologo -v minimal
    dotnet build "$WG_ROOT/tools/WechatSimulator" -c Release -nologo -v minimal
  fi

  start_app "simulator" "$SIMULATOR_PIDFILE" "$SIMULATOR_LOG" "tools/WechatSimulator" "$WG_SIMULATOR_URL"
  wait_http_ok "simulator" "$SIMULATOR_PIDFILE" "$SIMULATOR_LOG" "$WG_SIMULATOR_URL/healthz" 60
  start_app "gateway" "$GATEWAY_PIDFILE" "$GATEWAY_LOG" "src/WechatGateway" "$WG_GATEWAY_URL"
  wait_http_ok "gateway" "$GATEWAY_PIDFILE" "$GATEWAY_LOG" "$WG_GATEWAY_URL/readyz" "$READY_TIMEOUT"
  seed_demo

  print_banner

  if [[ "$mode" == "detach" ]]; then
    trap - EXIT INT TERM
    printf 'Left running in the background; stop with: %s/deploy/local/run.sh --stop\n' "$WG_ROOT"
    exit 0
  fi

  printf 'Press Ctrl-C to stop the gateway, the simulator and the servers this run started.\n'
  local gateway_pid simulator_pid
  gateway_pid="$(cat "$GATEWAY_PIDFILE")"
  simulator_pid="$(cat "$SIMULATOR_PIDFILE")"
  while true; do
    # Returns when either process exits, or at once when a signal arrives (the INT/TERM traps then exit).
    wait -n "$gateway_pid" "$simulator_pid" || true
    if ! kill -0 "$gateway_pid" 2>/dev/null; then
      wg_tail_log "$GATEWAY_LOG" 60
      wg_die "the gateway stopped unexpectedly (see the log above)"
    fi
    if ! kill -0 "$simulator_pid" 2>/dev/null; then
      wg_tail_log "$SIMULATOR_LOG" 60
      wg_die "the simulator stopped unexpectedly (see the log above)"
    fi
  done
}

main "$@"
