#!/usr/bin/env bash
# Runs every test suite against real MariaDB and Redis: the same bootstrap as run.sh (install what is missing, start
# the servers on loopback with data under .data/), then builds the solution and runs each test project.
# Servers this script started are stopped at the end; servers that were already running are left alone.
#
# The tests read WG_TEST_MYSQL (a server-level connection string: they create their own wechatgateway_test_* schemas)
# and WG_TEST_REDIS. Results: .data/test-results/*.trx and summary.txt. The last line is "tests: N passed, N failed".
# Extra arguments go to every `dotnet test`, e.g. deploy/local/test.sh --filter "FullyQualifiedName~Webhook".
# WG_TEST_PROJECTS (a regular expression on the project path) runs only the matching test projects.
# Nothing tracked in the checkout changes: results go under .data/, screenshots under the test output (deploy/local/screenshots.sh refreshes the
# documentation's screenshots on purpose).
#
# The integration tests then run a second time on a three-master Redis Cluster (WG_REDIS_CLUSTER_PORTS, default
# 7001 7002 7003), without the tests that cut one Redis through a proxy (category SingleRedis), start a cluster of
# their own (OwnRedisCluster, run once already) or spend their time on tens of thousands of MySQL rows while using Redis
# as every other test does (OneRedisEngine): results in
# WechatGateway.Tests.cluster.trx. WG_TEST_CLUSTER=0 leaves the cluster run out.
# Last, the README's walk-through runs against run.sh (deploy/local/walkthrough.sh); WG_TEST_WALKTHROUGH=0 leaves it out.

# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RESULTS="$WG_DATA/test-results"
SOLUTION="$WG_ROOT/WechatGateway.sln"
# Per test project; a hung test is dumped and killed sooner by --blame-hang-timeout.
PROJECT_TIMEOUT="${WG_TEST_PROJECT_TIMEOUT:-720}"
CLUSTER_PROJECT="test/WechatGateway.Tests/WechatGateway.Tests.csproj"
WG_TEST_CLUSTER="${WG_TEST_CLUSTER:-1}"

on_exit() {
  local rc=$?
  trap - EXIT
  wg_stop_started_services
  exit "$rc"
}

# The test projects of the solution: those under test/ (or named *.Tests).
test_projects() {
  dotnet sln "$SOLUTION" list | tr '\134' '/' | grep -E '\.csproj$' | grep -E '^test/|\.Tests\.csproj$' | grep -E "${WG_TEST_PROJECTS:-.}" | sort -u
}


install_interop() {
  local dir="$WG_ROOT/tools/interop"
  [[ -f "$dir/package.json" ]] || return 0
  wg_log "npm: installing tools/interop"
  if [[ -f "$dir/package-lock.json" ]]; then
    npm ci --prefix "$dir" --no-audit --no-fund </dev/null
  else
    npm install --prefix "$dir" --no-audit --no-fund </dev/null
  fi
}

# The tracked files that differ from the commit, with a digest of each, so a second change to a changed file shows.
tracked_changes() {
  git -C "$WG_ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1 || return 0
  git -C "$WG_ROOT" diff --name-only HEAD 2>/dev/null | while read -r f; do printf '%s %s\n' "$f" "$(md5sum <"$WG_ROOT/$f" 2>/dev/null | cut -c1-32)"; done
}

# Prints a readable summary of every TRX file and writes "passed failed skipped" to $2.
summarize() {
  python3 - "$1" "$2" <<'PY'
import glob, os, sys
import xml.etree.ElementTree as ET

results_dir, totals_file = sys.argv[1], sys.argv[2]
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
FAILED = {"Failed", "Error", "Timeout", "Aborted"}
lines, failures = [], []
total = {"passed": 0, "failed": 0, "skipped": 0}

for path in sorted(glob.glob(os.path.join(results_dir, "*.trx"))):
    name = os.path.basename(path)[: -len(".trx")]
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        lines.append(f"  {name:<40} unreadable results file: {e}")
        total["failed"] += 1
        continue
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for r in root.iterfind(".//t:Results/t:UnitTestResult", ns):
        outcome = r.get("outcome", "")
        if outcome == "Passed":
            counts["passed"] += 1
        elif outcome in FAILED:
            counts["failed"] += 1
            message = r.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=ns).strip()
            first = message.splitlines()[:3]
            failures.append((name, r.get("testName", "?"), first))
        else:
            counts["skipped"] += 1
    times = root.find("t:Times", ns)
    duration = ""
    if times is not None and times.get("start") and times.get("finish"):
        from datetime import datetime
        try:
            start = datetime.fromisoformat(times.get("start"))
            finish = datetime.fromisoformat(times.get("finish"))
            duration = f"  ({(finish - start).total_seconds():.1f} s)"
        except ValueError:
            pass
    lines.append(f"  {name:<40} passed {counts['passed']:>5}   failed {counts['failed']:>4}   skipped {counts['skipped']:>4}{duration}")
    for k in total:
        total[k] += counts[k]

out = [f"test results ({results_dir}):"] + (lines or ["  (no results files)"])
if failures:
    out.append("failed tests:")
    for project, test, message in failures:
        out.append(f"  {project}: {test}")
        out.extend(f"      {m}" for m in message)
text = "\n".join(out) + "\n"
sys.stdout.write(text)
with open(os.path.join(results_dir, "summary.txt"), "w", encoding="utf-8") as f:
    f.write(text)
with open(totals_file, "w", encoding="utf-8") as f:
    f.write(f"{total['passed']} {total['failed']} {total['skipped']}\n")
PY
}

# Runs one test project; its results go to $RESULTS/$2.trx. Sets rc and problems of main.
run_project() {
  local project="$1" name="$2" project_rc=0
  shift 2
  wg_log "testing $name${WG_TEST_REDIS:+ (Redis: $WG_TEST_REDIS)}"
  timeout --foreground --kill-after=30 "$PROJECT_TIMEOUT" \
    dotnet test "$WG_ROOT/$project" -c Release --no-build -nologo \
    --results-directory "$RESULTS" --logger "trx;LogFileName=$name.trx" \
    --blame-hang-timeout 5min "$@" </dev/null || project_rc=$?
  if ((project_rc != 0)); then
    rc=1
    if ((project_rc == 124 || project_rc == 137)); then
      problems+=("$name did not finish within $PROJECT_TIMEOUT s")
    elif [[ ! -f "$RESULTS/$name.trx" ]]; then
      problems+=("$name exited with code $project_rc without writing results")
    fi
  fi
}

# The arguments of the cluster run: the caller's, with TestCategory!=SingleRedis added to (or as) the filter. Printed
# one a line, so a filter with spaces stays one argument when read back with mapfile.
cluster_arguments() {
  local filter="" args=()
  while (($# > 0)); do
    if [[ "$1" == "--filter" && $# -gt 1 ]]; then
      filter="$2"
      shift 2
    else
      args+=("$1")
      shift
    fi
  done
  # OwnRedisCluster: the failover test starts a cluster of its own, in the single-Redis run already.
  args+=(--filter "${filter:+($filter)&}TestCategory!=SingleRedis&TestCategory!=OwnRedisCluster&TestCategory!=OneRedisEngine")
  printf '%s\n' "${args[@]}"
}

main() {
  wg_help_if_asked "${BASH_SOURCE[0]}" "${1:-}"
  trap on_exit EXIT
  cd "$WG_ROOT"
  local tracked_before
  tracked_before="$(tracked_changes)"

  wg_install_packages
  wg_start_services
  ((WG_TEST_CLUSTER == 0)) || wg_start_redis_cluster
  install_interop

  export WG_TEST_MYSQL="Server=127.0.0.1;Port=$WG_MYSQL_PORT;User ID=wg;Password=wg"
  export WG_TEST_REDIS="$WG_REDIS_CS"

  rm -rf "$RESULTS"
  mkdir -p "$RESULTS"

  local rc=0 problems=()
  wg_log "building $SOLUTION (Release)"
  if ! dotnet build "$SOLUTION" -c Release -nologo -v minimal; then
    rc=1
    problems+=("the build failed; no test ran")
  else
    local projects=() project name project_rc
    mapfile -t projects < <(test_projects)
    ((${#projects[@]} > 0)) || problems+=("the solution has no test project")
    for project in "${projects[@]}"; do
      run_project "$project" "$(basename "$project" .csproj)" "$@"
    done
    if ((WG_TEST_CLUSTER != 0)) && [[ -f "$WG_ROOT/$CLUSTER_PROJECT" ]]; then
      local cluster_args=()
      mapfile -t cluster_args < <(cluster_arguments "$@")
      WG_TEST_REDIS="$WG_REDIS_CLUSTER_CS" run_project "$CLUSTER_PROJECT" "$(basename "$CLUSTER_PROJECT" .csproj).cluster" "${cluster_args[@]}"
    fi
  fi

  # The README's walk-through, run as a reader would against run.sh (deploy/local/walkthrough.sh).
  if ((rc == 0)) && [[ "${WG_TEST_WALKTHROUGH:-1}" != "0" ]]; then
    wg_log "walking through the README against run.sh"
    if ! WG_NO_BUILD=1 bash "$WG_ROOT/deploy/local/walkthrough.sh"; then
      rc=1
      problems+=("the README walk-through does not do what the README says (deploy/local/walkthrough.sh)")
    fi
  fi

  # A test run leaves the checkout as it found it (screenshots, results and servers' data live outside what git tracks).
  if [[ "$(tracked_changes)" != "$tracked_before" ]]; then
    rc=1
    problems+=("the test run changed tracked files: $(tracked_changes | head -5 | tr '\n' ' ')")
  fi

  local passed=0 failed=0 skipped=0
  echo
  if summarize "$RESULTS" "$RESULTS/totals.txt"; then
    read -r passed failed skipped <"$RESULTS/totals.txt"
  else
    rc=1
    problems+=("could not read the test results")
  fi
  ((failed == 0)) || rc=1
  local problem
  for problem in "${problems[@]}"; do
    printf 'error: %s\n' "$problem"
  done

  # Stop the servers before the closing line, so that it stays the last line printed.
  wg_stop_started_services
  if ((skipped > 0)); then
    printf 'tests: %d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
  else
    printf 'tests: %d passed, %d failed\n' "$passed" "$failed"
  fi
  return "$rc"
}

main "$@"
