#!/bin/sh
# The image back ends under valgrind: a zstd-compressed qcow2 at the base
# of a chain, an overlay and an empty top (guest and host disks looked
# up), a truncated qcow2, a vmdk through qemu-nbd: no memory errors and
# no leaks.
. "$(dirname "$0")/../lib.sh"
requires valgrind xz qemu-img qemu-nbd
VG="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99"
raw=$(image lvm-gpt)
cd "$T"
qemu-img convert -c -O qcow2 -o compression_type=zstd "$raw" base.qcow2
qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 overlay.qcow2
qemu-io -f qcow2 -c "write -P 0x5a 16785408 4096" overlay.qcow2 >/dev/null
qemu-img create -q -f qcow2 -b overlay.qcow2 -F qcow2 top.qcow2
qemu-img convert -O qcow2 -o extended_l2=on,cluster_size=64k "$raw" extl2.qcow2
head -c 500000 extl2.qcow2 >cut.qcow2
qemu-img convert -O vmdk "$raw" disk.vmdk
for d in top.qcow2 top.qcow2@host top.qcow2@backing1 top.qcow2@backing2; do
	seq 0 65536 1500000 | sed "s|^|$d:|"
done >where   # past a file's end: an error line, status 1
runs=0
for img in top.qcow2 extl2.qcow2 cut.qcow2 disk.vmdk; do
	st=0
	$VG "$DA" --list --json "$img" >/dev/null 2>vg || st=$?
	[ "$st" -le 1 ] || { cat vg; fail "$img: --list under valgrind"; }
	st=0
	if [ "$img" = top.qcow2 ]; then
		$VG "$DA" --lookup - --json "$img" <where >/dev/null 2>vg || st=$?
	else
		seq 0 1048576 100000000 | $VG "$DA" --lookup - --json "$img" >/dev/null 2>vg || st=$?
	fi
	[ "$st" -le 1 ] || { cat vg; fail "$img: --lookup under valgrind"; }
	runs=$((runs + 2))
done
echo "ok: $runs runs clean under valgrind"
