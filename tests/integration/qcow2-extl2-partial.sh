#!/bin/sh
# A qcow2 with extended L2 entries (subclusters), written by qemu-io: qemu
# writes only the subclusters a write touches, so the file ends inside its
# last data cluster.  qemu-img check finds nothing wrong, and neither may
# we: no warning, no "truncated or damaged" line, exit 0.  The host view
# places the data where qemu-img map says, and the guest bytes are what
# qemu-img convert reads.  The same image cut inside its last written
# subcluster is still reported.
. "$(dirname "$0")/../lib.sh"
requires jq qemu-img qemu-io
cd "$T"
qemu-img create -q -f qcow2 -o extended_l2=on vm.qcow2 64M
# 4 KiB at 1 MiB: subclusters 0-1 of a cluster; 2 KiB at 3 MiB + 40 KiB:
# subcluster 20 of another, the last in the file
qemu-io -f qcow2 -c "write -P 0x41 1M 4k" \
	-c "write -P 0x42 $((3 * 1048576 + 40960)) 2k" vm.qcow2 >/dev/null
qemu-img check -q vm.qcow2 || fail "qemu-img check finds damage in the test image"
size=$(stat -c %s vm.qcow2)
[ $((size % 65536)) -ne 0 ] || fail "the image ends on a cluster boundary ($size): qemu wrote whole clusters"

st=0
"$DA" --list --json vm.qcow2 >list.json 2>list.err || st=$?
check_eq "--list: status" "$st" 0
check_eq "--list: stderr" "$(cat list.err)" ""
check_eq "host view: truncated" "$(jq '.disks[1].content.truncated' list.json)" null
check_eq "host view: warnings" "$(jq -c '.disks[1].content.warnings' list.json)" null
check_eq "allocated clusters (qemu-img check: 2/1024)" \
	"$(jq '.disks[1].content.allocated_clusters' list.json)" 2

# every data range of qemu-img map: its host offset is a data cluster of
# the host view, mapped to the guest offset qemu-img gives
qemu-img map -f qcow2 --output=json vm.qcow2 |
	jq -r '.[] | select(.data) | "\(.start) \(.length) \(.offset)"' >data
check_eq "qemu-img map: data ranges" "$(wc -l <data)" 2
qemu-img convert -f qcow2 -O raw vm.qcow2 guest.raw
while read -r start len host; do
	for at in 0 $((len - 1)); do
		"$DA" --lookup "vm.qcow2@host:$((host + at))" --json vm.qcow2 >l.json ||
			fail "--lookup host $((host + at)) failed"
		check_eq "host $((host + at)): role" "$(jq -r '.owners[0].role' l.json)" data_cluster
		check_eq "host $((host + at)): guest offset" "$(jq '.owners[1].offset' l.json)" $((start + at))
	done
	"$DA" --cat "$start+$len" vm.qcow2 >got 2>cat.err || fail "--cat $start+$len: $(cat cat.err)"
	check_eq "--cat $start+$len: stderr" "$(cat cat.err)" ""
	dd if=guest.raw of=want bs=1 skip="$start" count="$len" status=none
	cmp want got >&2 || fail "guest bytes at $start differ from qemu-img convert's"
done <data

# cut inside the last written subcluster: that is damage
truncate -s $((size - 1024)) vm.qcow2
st=0
"$DA" --list --json vm.qcow2 >cut.json 2>cut.err || st=$?
check_eq "cut: status (a damaged image)" "$st" 1
check_eq "cut: truncated" "$(jq '.disks[1].content.truncated' cut.json)" true
grep -q "truncated or damaged image: a data cluster at offset $(awk 'END { print $3 - ($3 % 65536) }' data) lies past the end" cut.err ||
	fail "cut: not reported: $(cat cut.err)"
echo "ok: a qcow2 ending inside its last cluster (subclusters) is whole, as qemu-img check says; one cut inside a written subcluster is not"
