#!/bin/sh
# A qcow2 backing chain as long as diskatlas follows, 256 files below the
# top (qemu has no limit; external snapshots and incremental backups make
# long chains): a raw base under c000 ... c255.qcow2, with data written by
# qemu-io into the bottom, a middle and the top file.  The guest must be
# the bytes qemu-img convert reads, and each qcow2 of the chain a host
# disk.  One file more is refused in one line naming the image given and
# the limit.  The overlays are one qemu-img image copied, each given its
# backing file's name (the same length) at the offset its header gives;
# qemu-img info --backing-chain checks the chain they make.
. "$(dirname "$0")/../lib.sh"
requires jq qemu-img qemu-io sfdisk od
cd "$T"
truncate -s 64M base.raw
printf 'label: gpt\nstart=2048,type=L\n' | sfdisk -q base.raw
qemu-img create -q -f qcow2 -b base.raw -F raw c000.qcow2
qemu-img create -q -f qcow2 -b c000.qcow2 -F qcow2 t.qcow2
off=$(od -An -tu8 --endian=big -j 8 -N 8 t.qcow2 | tr -d ' ')
check_eq "backing name length" "$(od -An -tu4 --endian=big -j 16 -N 4 t.qcow2 | tr -d ' ')" 10
for i in $(seq 1 256); do
	n=$(printf %03d "$i")
	cp t.qcow2 "c$n.qcow2"
	printf 'c%03d.qcow2' $((i - 1)) |
		dd of="c$n.qcow2" bs=1 seek="$off" conv=notrunc status=none
done
qemu-io -f qcow2 -c "write -P 0x11 1M 64k" c000.qcow2 >/dev/null
qemu-io -f qcow2 -c "write -P 0x22 2M 64k" -c "write -P 0x23 $((1048576 + 32768)) 4k" c128.qcow2 >/dev/null
qemu-io -f qcow2 -c "write -P 0x33 3M 64k" c255.qcow2 >/dev/null
check_eq "qemu-img: files in c255's chain" \
	"$(qemu-img info --backing-chain c255.qcow2 | grep -c '^image:')" 257
qemu-img convert -f qcow2 -O raw c255.qcow2 want.raw

st=0
"$DA" --list --json c255.qcow2 >list.json 2>list.err || st=$?
check_eq "256 below: status" "$st" 0
check_eq "256 below: stderr" "$(cat list.err)" ""
check_eq "disks: the guest and 256 qcow2 files" "$(jq '.disks | length' list.json)" 257
check_eq "the last host disk's backing file" \
	"$(jq -r '.disks[256].content.backing_file' list.json)" base.raw
check_eq "the GPT partition (sfdisk: start 2048)" \
	"$(jq '.disks[0].content.partitions[0].start' list.json)" $((2048 * 512))
"$DA" --cat 0+64M c255.qcow2 >got.raw 2>cat.err || fail "--cat: $(cat cat.err)"
cmp want.raw got.raw >&2 || fail "the guest differs from qemu-img convert's"
# a byte each layer wrote is found in the file that holds it
"$DA" --lookup "c255.qcow2@backing127:0" --json c255.qcow2 >/dev/null ||
	fail "no host disk for the middle file"

st=0
"$DA" --list c256.qcow2 >over.out 2>over.err || st=$?
check_eq "257 below: status" "$st" 1
check_eq "257 below: one line" "$(wc -l <over.err)" 1
grep -q "^diskatlas: c256.qcow2: backing chain longer than 256 files" over.err ||
	fail "257 below: $(cat over.err)"
echo "ok: a chain of 256 backing files reads as qemu-img convert does; 257 is one line naming the top"
