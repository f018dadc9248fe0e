#!/usr/bin/env bash
# Runs the README's walk-through against the product exactly as a reader would: starts run.sh --detach (reusing what
# runs already), runs the bash blocks between <!-- walkthrough:begin --> and <!-- walkthrough:end --> of README.md in
# one shell, in order, and checks that each block's output holds every <!-- expect: TEXT --> that follows it. Stops the
# gateway and simulator it started (MariaDB and Redis are left to whoever started them). Exit 0 when every
# expectation holds; otherwise it prints the block, its output and what was missing.
#
#   deploy/local/walkthrough.sh          run it (WG_NO_BUILD=1 when the Release build is current)
#   deploy/local/walkthrough.sh --help   this text

# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
wg_help_if_asked "${BASH_SOURCE[0]}" "${1:-}"
root="$WG_ROOT"
cd "$root"
work="$(mktemp -d)"
trap 'bash "$root/deploy/local/run.sh" --stop-apps >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

bash deploy/local/run.sh --detach >"$work/run.log" 2>&1 || { cat "$work/run.log" >&2; echo "walk-through: run.sh did not start" >&2; exit 1; }

# The blocks and their expectations, from the README itself.
python3 - "$root/README.md" "$work" <<'PY'
import json, re, sys
readme, work = sys.argv[1], sys.argv[2]
text = open(readme, encoding="utf-8").read()
section = text.split("<!-- walkthrough:begin -->", 1)[1].split("<!-- walkthrough:end -->", 1)[0]
blocks = []
for m in re.finditer(r"```bash\n(.*?)```\n((?:<!-- expect: .*? -->\n)*)", section, re.S):
    blocks.append({"code": m.group(1), "expect": re.findall(r"<!-- expect: (.*?) -->", m.group(2))})
with open(f"{work}/script.sh", "w", encoding="utf-8") as out:
    for i, b in enumerate(blocks):
        out.write(f"echo '@@block {i}'\n{b['code']}\necho\n")
json.dump(blocks, open(f"{work}/blocks.json", "w", encoding="utf-8"))
PY

bash "$work/script.sh" >"$work/output.txt" 2>&1 || true

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
blocks = json.load(open(f"{work}/blocks.json", encoding="utf-8"))
parts = open(f"{work}/output.txt", encoding="utf-8", errors="replace").read().split("@@block ")[1:]
outputs = {int(p.split("\n", 1)[0]): p.split("\n", 1)[1] if "\n" in p else "" for p in parts}
failed = 0
for i, b in enumerate(blocks):
    missing = [e for e in b["expect"] if e not in outputs.get(i, "")]
    if missing:
        failed += 1
        print(f"walk-through block {i + 1} did not show {missing}:\n--- block ---\n{b['code']}--- output ---\n{outputs.get(i, '(none)')}", file=sys.stderr)
print(f"walk-through: {len(blocks) - failed} of {len(blocks)} blocks as the README says")
sys.exit(1 if failed else 0)
PY
