#!/bin/sh
# --lookup's own writer (src/report.c: strings copied while plain, numbers
# and sizes formatted without printf) against what the tools say: paths of
# every length around the writer's fast path (255, 256, 257 bytes and
# longer), with a quote or a backslash before or after it, decode from
# JSON to the names mkfs.ext4 -d was given, with debugfs's inode and
# block; text shows them escaped.  Offsets at every digit count echo as
# read, and each text header's size is what printf's %.1f / %.0f make of
# it (python's formatting, which rounds a tie to even like glibc).
. "$(dirname "$0")/../lib.sh"
requires mkfs.ext4 debugfs python3

rep() { python3 -c 'import sys; print(sys.argv[1] * int(sys.argv[2]), end="")' "$1" "$2"; }
mkdir -p "$T/tree"
# name: a path under the tree (directories made), one a line in $T/paths
add() {
	mkdir -p "$T/tree/$(dirname "$1")"
	yes "$1" | head -c 3000 >"$T/tree/$1"
	printf '/%s\n' "$1" >>"$T/paths"
}
add "$(rep f 254)"                                   # 255 bytes
add "$(rep g 255)"                                   # 256
add "$(rep h 127)/$(rep i 128)"                      # 257
add "$(rep a 250)/$(rep b 100)"                      # 352, plain
add "$(rep c 250)/x\"y\\z$(rep d 60)"                # escapes past 256
add "q\"$(rep e 20)"                                 # a quote early
add "back\\slash"
IMG="$T/fs.img"
mkfs.ext4 -q -b 1024 -d "$T/tree" "$IMG" 8M >/dev/null 2>"$T/mkfs.err" ||
	skip "mkfs.ext4 -d failed: $(head -1 "$T/mkfs.err")"

# each file's inode (from debugfs ls -p of its directory, whose name is
# plain) and first block (debugfs bmap); the lookups at byte 7 of it
while IFS= read -r p; do
	dir=$(dirname "$p") base=$(basename "$p")
	ino=$(debugfs -R "ls -p $dir" "$IMG" 2>/dev/null |
		n=$base awk -F/ '$6 == ENVIRON["n"] { print $2 }')
	[ -n "$ino" ] || fail "debugfs ls -p $dir has no $base"
	b=$(debugfs -R "bmap <$ino> 0" "$IMG" 2>/dev/null | tail -1)
	case $b in ''|*[!0-9]*) fail "debugfs bmap <$ino> 0 gave '$b'" ;; esac
	echo "$ino $b"
done <"$T/paths" >"$T/truth"
awk '{ print $2 * 1024 + 7 }' "$T/truth" >"$T/offs"
"$DA" --lookup - --json "$IMG" <"$T/offs" >"$T/json" || fail "--lookup - --json failed"
"$DA" --lookup - "$IMG" <"$T/offs" >"$T/text" || fail "--lookup - failed"
python3 - "$T/paths" "$T/truth" "$T/offs" "$T/json" "$T/text" <<'EOF' || fail "file answers differ (above)"
import json, sys
paths = open(sys.argv[1]).read().split("\n")[:-1]
truth = [l.split() for l in open(sys.argv[2])]
offs = [int(l) for l in open(sys.argv[3])]
lines = open(sys.argv[4], "rb").read().decode("utf-8").split("\n")[:-1]
text = open(sys.argv[5]).read().split("\n")
assert len(lines) == len(paths), "%d answers for %d paths" % (len(lines), len(paths))
bad = 0
for p, (ino, blk), off, line in zip(paths, truth, offs, lines):
    a = json.loads(line)
    fs = a["owners"][-1]
    got = (a["where"], a["offset"], fs.get("path"), fs.get("inode"), fs.get("block"))
    want = (str(off), off, p, int(ino), int(blk))
    if got != want:
        print("json: got %r, want %r" % (got, want)); bad += 1
    shown = "  " + p.replace("\\", "\\\\")
    if not any(l.startswith("  filesystem") and l.endswith(shown) and
               ("  inode %s  " % ino) in l for l in text):
        print("text: no filesystem line ending with %r" % shown); bad += 1
sys.exit(1 if bad else 0)
EOF

# numbers: offsets of every digit count and the sizes around each unit's
# edges, on a sparse 2 TiB file (no owner: the header alone)
truncate -s 2T "$T/big.img" 2>/dev/null || skip "no sparse 2 TiB file here"
python3 - >"$T/nums" <<'EOF'
offs = {0, 1, 9, 10, 99, 100, 1023, 1024, 1025, 1280, 1331, 1332, 10188,
        10189, 10239, 10240, 1048575, 1048576, 1153434, 2 ** 41 - 1}
for d in range(1, 14):
    offs |= {10 ** d - 1, 10 ** d}
for u in range(1, 5):
    for k in range(1, 41):
        offs.add(k * 2 ** (10 * u) // 20)
for o in sorted(offs):
    if o < 2 ** 41:
        print(o)
EOF
"$DA" --lookup - --json "$T/big.img" <"$T/nums" >"$T/nums.json" || fail "--lookup - --json of numbers failed"
"$DA" --lookup - "$T/big.img" <"$T/nums" >"$T/nums.text" || fail "--lookup - of numbers failed"
python3 - "$T/nums" "$T/nums.json" "$T/nums.text" <<'EOF' || fail "numbers differ (above)"
import json, sys
offs = [int(l) for l in open(sys.argv[1])]
js = [json.loads(l) for l in open(sys.argv[2])]
heads = [l for l in open(sys.argv[3]).read().split("\n") if " @ " in l]
def human(b):
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    v, u = float(b), 0
    while v >= 1024 and u < 6:
        v /= 1024; u += 1
    if u == 0:
        return "%d B" % b
    if v < 10 and v != int(v):
        return "%.1f %s" % (v, units[u])
    return "%.0f %s" % (v, units[u])
bad = 0
assert len(js) == len(offs) == len(heads), (len(js), len(offs), len(heads))
for o, a, h in zip(offs, js, heads):
    if (a["where"], a["offset"], a["owners"][0].get("offset")) != (str(o), o, o):
        print("json for %d: %r" % (o, a)); bad += 1
    want = "big.img @ %d (0x%x, %s)" % (o, o, human(o))
    if h != want:
        print("text header %r, want %r" % (h, want)); bad += 1
sys.exit(1 if bad else 0)
EOF
echo "ok: $(wc -l <"$T/paths") paths and $(wc -l <"$T/nums") offsets"
