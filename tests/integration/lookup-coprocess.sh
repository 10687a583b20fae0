#!/bin/sh
# --lookup - as a coprocess: a program writes one WHERE, then waits for its
# answer before it writes the next.  Each answer must come while the
# input is still open (held in a buffer until the end, the two would wait
# for each other for ever), and say what sfdisk says of the partition.
. "$(dirname "$0")/../lib.sh"
requires python3 sfdisk jq
img=$(image gpt-five)
sfdisk --json "$img" | jq -r '.partitiontable.partitions[] | "\(.start) \(.node)"' >"$T/parts"
[ "$(wc -l <"$T/parts")" -ge 2 ] || fail "sfdisk finds no partitions in gpt-five"
python3 - "$DA" "$img" "$T/parts" <<'EOF'
import json, select, subprocess, sys

da, img, parts = sys.argv[1:4]
p = subprocess.Popen([da, "--lookup", "-", "--json", img],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
n = 0
for line in open(parts):
    start = int(line.split()[0]) * 512
    where = start + 100
    p.stdin.write(b"%d\n" % where)
    p.stdin.flush()
    # the answer, while standard input stays open
    ready, _, _ = select.select([p.stdout], [], [], 5)
    if not ready:
        p.kill()
        sys.exit("FAIL: no answer to %d within 5 s while the input is open" % where)
    a = json.loads(p.stdout.readline())
    n += 1
    got = [o for o in a["owners"] if o["kind"] == "partition"]
    if a["offset"] != where or len(got) != 1 or got[0]["offset"] != 100:
        sys.exit("FAIL: %d is not byte 100 of the partition sfdisk puts at %d: %s"
                 % (where, start, json.dumps(a)))
    print("answered at once: %d, byte 100 of %s" % (where, got[0]["name"]))
p.stdin.close()
rc = p.wait(timeout=10)
if rc != 0:
    sys.exit("FAIL: exit status %d after %d answers" % (rc, n))
EOF
echo ok
