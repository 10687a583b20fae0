#!/bin/sh
# The host view of a qcow2: the image file is one more disk ("NAME@host")
# whose bytes are owned by the qcow2's own structures.  Checked against
# qemu-img: every extent `qemu-img map --output=json` places in the file
# (guest offset -> host offset) is a data cluster whose lookup names that
# guest offset and then answers exactly as the raw disk does at it (the
# partition, PV, LV, filesystem and file); the cluster counts equal
# `qemu-img check --output=json`'s; the header's own offsets (L1 table,
# refcount table, snapshot table) have their roles.
. "$(dirname "$0")/../lib.sh"
requires jq xz qemu-img
raw=$(image lvm-gpt)
cd "$T"
N=lvm-gpt.img

qemu-img convert -O qcow2 "$raw" v3.qcow2
qemu-img convert -O qcow2 -o compat=0.10,cluster_size=4096 "$raw" v2.qcow2
qemu-img convert -c -O qcow2 "$raw" zlib.qcow2
qemu-img convert -O qcow2 -o extended_l2=on,cluster_size=128k "$raw" extl2.qcow2
cp v3.qcow2 snap.qcow2
qemu-img snapshot -c first snap.qcow2
# after the snapshot, the active layer rewrites a page of the swap LV
# (16 MiB on the disk: lvs) past its header: copy on write
qemu-io -f qcow2 -c "write -P 0x5a 16785408 4096" snap.qcow2 >/dev/null
cp --sparse=always "$raw" snap.raw
printf '%4096s' '' | tr ' ' 'Z' | dd of=snap.raw bs=4096 seek=4098 conv=notrunc status=none

be() {   # be FILE OFFSET BYTES: a big-endian integer of the file
	od -An -tu1 -v -j "$2" -N "$3" "$1" | tr -s ' \n' ' ' |
		awk '{ v = 0; for (i = 1; i <= NF; i++) v = v * 256 + $i; printf "%.0f\n", v }'
}

host_check() {   # host_check IMAGE TRUTH-RAW
	img=$1; truth=$2
	"$DA" --list --json "$N=$img" >list.json
	check_eq "$img: host disk" "$(jq -r '.disks[1] | "\(.name) \(.format) \(.content.type) \(.content.format)"' list.json)" \
		"$N@host host image qcow2"
	check_eq "$img: host size" "$(jq '.disks[1].size' list.json)" "$(stat -c %s "$img")"
	# counts, as qemu-img check gives them
	qemu-img check --output=json "$img" >check.json || fail "qemu-img check: $img is damaged"
	check_eq "$img: allocated clusters" "$(jq '.disks[1].content.allocated_clusters' list.json)" \
		"$(jq '."allocated-clusters"' check.json)"
	check_eq "$img: compressed clusters" "$(jq '.disks[1].content.compressed_clusters' list.json)" \
		"$(jq '."compressed-clusters" // 0' check.json)"
	check_eq "$img: leaked clusters" "$(jq '.disks[1].content.leaked_clusters' list.json)" \
		"$(jq '.leaks // 0' check.json)"
	# every mapped extent: its first, middle and last byte
	qemu-img map --output=json "$img" |
		jq -r '.[] | select(.offset != null and .depth == 0 and .data) |
			"\(.offset) \(.start) \(.length)"' >map.txt
	[ -s map.txt ] || [ "$(jq '."compressed-clusters" // 0' check.json)" -gt 0 ] ||
		fail "$img: qemu-img map places nothing in the file"
	: >host.where; : >guest.where
	while read -r host guest len; do
		for d in 0 $((len / 2)) $((len - 1)); do
			echo "$N@host:$((host + d))" >>host.where
			echo "$((guest + d))" >>guest.where
		done
	done <map.txt
	"$DA" --lookup - --json "$N=$img" <host.where >host.json
	"$DA" --lookup - --json "$N=$truth" <guest.where >guest.json
	# the data cluster, then the guest byte it holds ...
	jq -r '"\(.owners[0].kind) \(.owners[0].role) \(.owners[1].kind) \(.owners[1].name) \(.owners[1].offset)"' host.json >got.txt
	sed "s/^/image data_cluster guest $N /" guest.where >want.txt
	diff want.txt got.txt >&2 || fail "$img: host bytes do not hold the guest bytes qemu-img map says"
	# ... then exactly what the raw disk says of that guest byte
	jq -c '.owners[2:]' host.json >got.txt
	jq -c '.owners' guest.json >want.txt
	diff want.txt got.txt >&2 || fail "$img: owners through the host differ from the raw disk's"
	files=$(grep -c '"inode"' got.txt) || true
	# the header's own offsets
	l1=$(be "$img" 40 8); rt=$(be "$img" 48 8)
	for w in "0 qcow2_header" "$l1 l1_table" "$rt refcount_table"; do
		set -- $w
		check_eq "$img: role at $1" "$("$DA" --lookup "$N@host:$1" --json "$N=$img" | jq -r '.owners[0].role')" "$2"
	done
	echo "ok: $img: $(wc -l <host.where) host bytes of $(wc -l <map.txt) mapped extents lead to their guest bytes ($files in files); counts equal qemu-img check's"
}

host_check v3.qcow2 "$raw"
host_check v2.qcow2 "$raw"
host_check zlib.qcow2 "$raw"
host_check extl2.qcow2 "$raw"
host_check snap.qcow2 snap.raw
so=$(be snap.qcow2 64 8)
check_eq "snapshot table role" "$("$DA" --lookup "$N@host:$so" --json "$N=snap.qcow2" | jq -r '.owners[0].role')" snapshot_table
# the snapshot's copy of the rewritten cluster is still in the file
n=$("$DA" --map --width 200 --height 1 "$N=snap.qcow2" | grep -c 'snapshot_data') || true
[ "$n" -gt 0 ] || fail "no snapshot_data cluster in the host map"

# --- a backing chain: each file is a disk (NAME@host, NAME@backing1...);
# qemu-img map of the top says, per guest extent, which file (depth) and
# where in it: that host byte must lead to that guest byte.  The base's
# copy of the cluster the overlay rewrote is shadowed_data.
cp v3.qcow2 base.qcow2
qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 overlay.qcow2
qemu-io -f qcow2 -c "write -P 0x5a 16785408 4096" overlay.qcow2 >/dev/null
qemu-img create -q -f qcow2 -b overlay.qcow2 -F qcow2 top.qcow2
qemu-img map --output=json top.qcow2 |
	jq -r '.[] | select(.offset != null and .data) | "\(.depth) \(.offset) \(.start)"' >chain.txt
check_eq "files the chain reads from" "$(cut -d' ' -f1 chain.txt | sort -u | tr '\n' ' ')" "1 2 "
: >chain.where; : >chain.want
while read -r depth host guest; do
	disk="$N@backing$depth"
	echo "$disk:$host" >>chain.where
	echo "$disk image data_cluster guest $N $guest" >>chain.want
done <chain.txt
"$DA" --lookup - --json "$N=top.qcow2" <chain.where |
	jq -r '"\(.disk) \(.owners[0].kind) \(.owners[0].role) \(.owners[1].kind) \(.owners[1].name) \(.owners[1].offset)"' >chain.got
diff chain.want chain.got >&2 || fail "chain: host bytes of the backing files do not lead where qemu-img map says"
base_host=$(qemu-img map --output=json base.qcow2 | jq -r '.[] | select(.offset != null and .start <= 16785408 and .start + .length > 16785408) | .offset + 16785408 - .start')
check_eq "the base's rewritten cluster" "$("$DA" --lookup "$N@backing2:$base_host" --json "$N=top.qcow2" | jq -r '.owners[0].role')" shadowed_data
echo "ok: chain: $(wc -l <chain.txt) extents of the top's map found in the file qemu-img names; the rewritten one is shadowed in the base"

# --- compressed clusters: qemu-img map lists them as data with no host
# offset.  Every 64th byte of the file: a compressed one leads into one of
# those guest ranges and on to the raw disk's owners there, and together
# they reach as many guest clusters as qemu-img check counts.
for z in zlib zstd; do
	img=$z.qcow2
	[ -f "$img" ] || qemu-img convert -c -O qcow2 -o compression_type=zstd "$raw" "$img"
	qemu-img map --output=json "$img" |
		jq -r '.[] | select(.data and .offset == null and .depth == 0) | "\(.start) \(.length)"' >zranges
	seq 0 64 $(( $(stat -c %s "$img") - 1 )) | sed "s|^|$N@host:|" >zwhere
	"$DA" --lookup - --json "$N=$img" <zwhere | jq -c 'select(.owners[0].role == "compressed_cluster")' >zhost.json
	[ -s zhost.json ] || fail "$img: no compressed byte in the file"
	jq -r '.owners[1] | "\(.kind) \(.name) \(.offset)"' zhost.json >zguest
	grep -v "^guest $N " zguest && fail "$img: a compressed byte leads to no guest byte"
	awk '{ print $3 }' zguest >zoffs
	awk 'NR == FNR { s[NR] = $1; l[NR] = $2; n = NR; next }
	     { ok = 0; for (i = 1; i <= n; i++) if ($1 >= s[i] && $1 < s[i] + l[i]) ok = 1
	       if (!ok) { print "guest byte " $1 " is in no compressed range of qemu-img map"; bad = 1 } }
	     END { exit bad }' zranges zoffs >&2 || fail "$img: compressed bytes lead outside qemu-img's compressed ranges"
	check_eq "$img: guest clusters reached" "$(awk '{ print int($1 / 65536) }' zoffs | sort -u | wc -l)" \
		"$(qemu-img check --output=json "$img" | jq '."compressed-clusters"')"
	"$DA" --lookup - --json "$N=$raw" <zoffs | jq -c '.owners' >zwant
	jq -c '.owners[2:]' zhost.json >zgot
	diff zwant zgot >&2 || fail "$img: owners through compressed bytes differ from the raw disk's"
	echo "ok: $img: $(wc -l <zoffs) compressed bytes lead into $(wc -l <zranges) compressed ranges of qemu-img map, every cluster reached"
done

# compressed clusters: a host byte of one is owned as compressed
"$DA" --lookup - --json zlib.qcow2 <<EOF >z.json
zlib.qcow2@host:$(( $(stat -c %s zlib.qcow2) - 1 ))
EOF
check_eq "last byte of a compressed image" "$(jq -r '.owners[0].role' z.json)" compressed_cluster
echo "ok: host view"
