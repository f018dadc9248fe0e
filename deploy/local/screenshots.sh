#!/usr/bin/env bash
# Refreshes the console screenshots in docs/screenshots (the README shows them): runs the browser suite against the
# same local stack as test.sh, with WG_SCREENSHOTS pointing at docs/screenshots. Review and commit the result.
# A plain test run never writes there.
#
#   deploy/local/screenshots.sh          refresh every screenshot
#   deploy/local/screenshots.sh --help   this text

# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
wg_help_if_asked "${BASH_SOURCE[0]}" "${1:-}"
root="$WG_ROOT"
WG_SCREENSHOTS="$root/docs/screenshots" WG_TEST_PROJECTS='Console' WG_TEST_CLUSTER=0 WG_TEST_WALKTHROUGH=0 exec bash "$root/deploy/local/test.sh"
