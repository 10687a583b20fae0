#!/bin/sh
# VM images of the GPT + LVM test disk, made by qemu-img convert: qcow2
# (v2, v3, zlib and zstd compressed, extended L2), a qcow2 overlay whose
# backing file is the untouched disk (the overlay rewrote the FAT LV: a
# file added by mtools), vmdk, vhdx, vdi and vpc, and a qcow2 over the
# vmdk (its backing file read through qemu-nbd).  Each must answer
# --list --json and 1,000 lookups exactly as the raw image does (disk
# format and path aside).  The raw images are the truth; the lvm-gpt
# tests check those against lvs, sfdisk, debugfs and mtools.
. "$(dirname "$0")/../lib.sh"
requires jq xz qemu-img qemu-nbd mcopy mdir
raw=$(image lvm-gpt)
cd "$T"

# the disk entry and the volumes, without what may differ: the disk's
# format and path, and the host-view disk a qcow2 adds
norm() { jq -S 'del(.disks[0].format, .disks[0].path) | .disks |= [.[0]]'; }
# 1,000 offsets, the same every run: the edges, 498 over the whole disk
# and 500 in the LVs' extents (2 to 32 MiB: lvs), where the files are
size=$(stat -c %s "$raw")
awk -v s="$size" 'BEGIN { srand(13); print 0; print s - 1;
	for (i = 0; i < 498; i++) printf "%d\n", int(rand() * s);
	for (i = 0; i < 500; i++) printf "%d\n", 2097152 + int(rand() * 31457280) }' >offsets

compare() {   # compare WHAT IMAGE TRUTH-RAW [FORMAT...]
	what=$1; img=$2; truth=$3; shift 3
	"$DA" --list --json "$@" "lvm-gpt.img=$img" | norm >"$what.list" ||
		fail "$what: --list --json failed"
	"$DA" --list --json "lvm-gpt.img=$truth" | norm >"$what.truth.list"
	diff "$what.truth.list" "$what.list" >&2 || fail "$what: --list --json differs from the raw image's"
	"$DA" --lookup - --json "$@" "lvm-gpt.img=$img" <offsets >"$what.lookups" ||
		fail "$what: --lookup - failed"
	"$DA" --lookup - --json "lvm-gpt.img=$truth" <offsets >"$what.truth.lookups"
	cmp "$what.truth.lookups" "$what.lookups" >&2 ||
		fail "$what: lookups differ from the raw image's"
	n=$(grep -c '"inode"' "$what.lookups") || true
	[ "$n" -gt 0 ] || fail "$what: no lookup reached a file"
	echo "ok: $what: --list and 1000 lookups ($n in files) equal the raw image's"
}

qemu-img convert -O qcow2 -o compat=0.10 "$raw" v2.qcow2
qemu-img convert -O qcow2 "$raw" v3.qcow2
qemu-img convert -c -O qcow2 "$raw" zlib.qcow2
qemu-img convert -c -O qcow2 -o compression_type=zstd "$raw" zstd.qcow2
qemu-img convert -O qcow2 -o extended_l2=on,cluster_size=128k "$raw" extl2.qcow2
qemu-img convert -O vmdk "$raw" disk.vmdk
qemu-img convert -O vhdx "$raw" disk.vhdx
qemu-img convert -O vdi "$raw" disk.vdi
qemu-img convert -O vpc -o force_size=on "$raw" disk.vhd

for f in v2.qcow2 v3.qcow2 zlib.qcow2 zstd.qcow2 extl2.qcow2; do
	compare "$f" "$f" "$raw"
	check_eq "$f format" "$("$DA" --list --json "$f" | jq -r '.disks[0].format')" qcow2
done
check_eq "qcow2 version (v2)" "$("$DA" --list --json v2.qcow2 | jq '.disks[1].content.version')" 2
check_eq "compression (zstd)" "$("$DA" --list --json zstd.qcow2 | jq -r '.disks[1].content.compression')" zstd
for f in disk.vmdk disk.vhdx disk.vdi disk.vhd; do
	compare "$f" "$f" "$raw"
done
check_eq "vhdx format" "$("$DA" --list --json disk.vhdx | jq -r '.disks[0].format')" vhdx
check_eq "forced vmdk" "$("$DA" --list --json --format vmdk disk.vmdk | jq -r '.disks[0].format')" vmdk

# --- a backing chain: the overlay holds only what the rewrite changed ---
# The FAT LV (atlas/logs) starts at extent 8 of the PV (lvs), the PV at
# 1 MiB of the partition and the partition at 1 MiB (pvs, sfdisk).
fat=$((1048576 + 1048576 + 8 * 1048576))
cp --sparse=always "$raw" changed.img
seq 1 4000 | sed 's/^/overlay line /' >NEW.TXT
mcopy -i "changed.img@@$fat" NEW.TXT ::/NEW.TXT
mdir -i "changed.img@@$fat" ::/ | grep -q NEW || fail "mcopy did not add the file"
qemu-img convert -O qcow2 -f raw "$raw" base.qcow2
# the overlay gets the 64 KiB clusters that differ, written by qemu-io
qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 overlay.qcow2
cmp -l "$raw" changed.img | awk '{ print int(($1 - 1) / 65536) }' | uniq >changed.clusters || true
[ -s changed.clusters ] || fail "mcopy changed nothing"
while read -r c; do
	dd if=changed.img of=chunk bs=65536 skip="$c" count=1 status=none
	qemu-io -f qcow2 -c "write -s chunk $((c * 65536)) 64k" overlay.qcow2 >/dev/null
done <changed.clusters
qemu-img compare -q -f raw -F qcow2 changed.img overlay.qcow2 || fail "qemu-img: the overlay is not the rewritten disk"
qemu-img create -q -f qcow2 -b overlay.qcow2 -F qcow2 top.qcow2
over_alloc=$(qemu-img check --output=json overlay.qcow2 | jq '."allocated-clusters"')
# qemu-img map of the top: data read from the overlay (depth 1) and
# from the base (depth 2)
from_base=$(qemu-img map --output=json top.qcow2 | jq '[.[] | select(.data and .depth == 2)] | length')
from_over=$(qemu-img map --output=json top.qcow2 | jq '[.[] | select(.data and .depth == 1)] | length')
[ "$from_base" -gt 0 ] && [ "$from_over" -gt 0 ] ||
	fail "the chain does not read from both files ($from_over overlay, $from_base base extents)"
compare overlay overlay.qcow2 changed.img
compare chain top.qcow2 changed.img
# the new file's first byte (mtools' own cluster list): its path
clu=$(mshowfat -i "changed.img@@$fat" ::/NEW.TXT | sed -n 's/.*<\([0-9]*\)[-> ].*/\1/p')
[ -n "$clu" ] || fail "mshowfat gave no cluster"
# FAT12 on the LV (fsck.fat's geometry, as fat-*.sh read it): data starts
# after the reserved sectors, the FATs and the root directory
boot=$(dd if=changed.img bs=1 skip="$fat" count=64 status=none | od -An -tu1 -v | tr -s ' \n' ' ')
set -- $boot
bps=$(( ${12} + ${13} * 256 )); spc=${14}; rsv=$(( ${15} + ${16} * 256 )); nfat=${17}
rootent=$(( ${18} + ${19} * 256 )); fatsz=$(( ${23} + ${24} * 256 ))
data=$(( (rsv + nfat * fatsz) * bps + rootent * 32 ))
off=$((fat + data + (clu - 2) * spc * bps))
"$DA" --lookup "$off" --json top.qcow2 | jq -r '.owners[-1].path' | grep -q NEW.TXT ||
	fail "byte $off of the chain is not NEW.TXT's: $("$DA" --lookup "$off" top.qcow2)"
"$DA" --list --json top.qcow2 | jq -r '.disks[1].content.backing_chain' | grep -q 'overlay.qcow2 (qcow2) <- .*base.qcow2 (qcow2)' ||
	fail "the host view does not name the backing chain"
echo "ok: a three-file chain (empty top, overlay of $over_alloc clusters in $from_over extents, base in $from_base) reads as the rewritten disk"
# a qcow2 over a vmdk: the backing file is read through qemu-nbd
qemu-img create -q -f qcow2 -b disk.vmdk -F vmdk overvmdk.qcow2
compare "qcow2 over vmdk" overvmdk.qcow2 "$raw"
"$DA" --list --json overvmdk.qcow2 | jq -r '.disks[1].content.backing_chain' | grep -q 'disk.vmdk (vmdk)' ||
	fail "the host view does not name the vmdk backing file: $("$DA" --list --json overvmdk.qcow2 | jq -c '.disks[1].content.backing_chain')"

# --- internal snapshots: listed as qemu-img lists them ---
cp v3.qcow2 snap.qcow2
qemu-img snapshot -c before snap.qcow2
qemu-img snapshot -c after snap.qcow2
check_eq "snapshot names" "$("$DA" --list --json snap.qcow2 | jq -r '[.disks[1].content.snapshots[].name] | join(" ")')" \
	"$(qemu-img info --output=json snap.qcow2 | jq -r '[.snapshots[].name] | join(" ")')"
check_eq "snapshots in the text" "$("$DA" --list snap.qcow2 | sed -n 's/^ *snapshot \([0-9]*\) \([a-z]*\) .*/\1 \2/p' | tr '\n' ' ')" \
	"$(qemu-img snapshot -l snap.qcow2 | awk 'NR > 2 { printf "%s %s ", $1, $2 }')"
compare snapshots snap.qcow2 "$raw"

# --- --format: wrong forced formats are one clear line ---
st=0; "$DA" --list --format qcow2 "$raw" >out 2>err || st=$?
check_eq "--format qcow2 on a raw image: status" "$st" 1
check_eq "one line" "$(wc -l <err)" 1
grep -q "not a qcow2 image" err || fail "unclear: $(cat err)"
st=0; "$DA" --list --format vmdk v3.qcow2 >out 2>err || st=$?
check_eq "--format vmdk on a qcow2: status" "$st" 1
grep -q "not a vmdk image (it looks like qcow2)" err || fail "unclear: $(cat err)"
st=0; "$DA" --list --format qcow3 v3.qcow2 >out 2>err || st=$?
check_eq "--format qcow3: status" "$st" 2
grep -q "unknown format" err || fail "unclear: $(cat err)"
# --format applies to the disks after it, raw reads the container as is
"$DA" --list --json v3.qcow2 --format raw v2.qcow2 >two.json
check_eq "formats in order" "$(jq -r '[.disks[].format] | join(" ")' two.json)" "qcow2 raw host"
st=0; "$DA" --list v3.qcow2 --format qcow2 >out 2>err || st=$?
check_eq "--format after the disks: status" "$st" 2
grep -q "put it before them" err || fail "unclear: $(cat err)"
"$DA" --list --format raw v3.qcow2 | grep -q "qcow2 image (opened as raw bytes)" ||
	fail "a qcow2 read raw is not named"
echo "ok: --format"
