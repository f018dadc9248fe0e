# shellcheck shell=bash
# Process helpers of the bench scripts (sourced after WORK is set): start, stop on exit, wait for HTTP, free ports.

PIDS=()
stop_pid() {
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}
WRK_PID=""
cleanup() {
  local pid
  [[ -z "$WRK_PID" ]] || kill -KILL "$WRK_PID" 2>/dev/null || true
  for pid in "${PIDS[@]}"; do
    stop_pid "$pid"
  done
  PIDS=()
  if declare -F wg_stop_started_services >/dev/null; then
    wg_stop_started_services
  fi
  rm -f "$WORK"/*.txt
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start NAME LOGFILE -- COMMAND...: runs in the background, records its PID in PIDS and in the variable NAME_PID.
start() {
  local name="$1" log="$2"
  shift 3
  "$@" >"$log" 2>&1 </dev/null &
  PIDS+=("$!")
  printf -v "${name}_PID" '%s' "$!"
}

wait_http() {
  local url="$1" pid="$2" log="$3" i
  for ((i = 0; i < 600; i++)); do
    if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$log" >&2 || true
      wg_die "the process behind $url exited during start-up (log: $log)"
    fi
    sleep 0.1
  done
  tail -n 40 "$log" >&2 || true
  wg_die "$url did not answer 200 within 60 s (log: $log)"
}
