#!/bin/sh
# A fixed VHD (qemu-img convert -O vpc -o subformat=fixed; what Azure and
# Hyper-V use) has no header, only a 512-byte footer at its end, so
# detection by the first bytes calls it raw, as qemu does: the guest plus
# the footer.  --format vpc must open it as qemu-img info -f vpc does:
# the size qemu gives, the guest bytes qemu-img convert -f vpc reads, the
# partition sfdisk wrote.  A file with no footer is still refused.
. "$(dirname "$0")/../lib.sh"
requires jq qemu-img qemu-io qemu-nbd sfdisk
cd "$T"
truncate -s 64M disk.raw
printf 'label: gpt\nstart=2048,type=L\n' | sfdisk -q disk.raw
qemu-io -f raw -c "write -P 0x5a 10M 64k" -c "write -P 0xa5 63M 4k" disk.raw >/dev/null
qemu-img convert -q -f raw -O vpc -o subformat=fixed disk.raw fixed.vhd
check_eq "the footer's cookie, at the end" "$(tail -c 512 fixed.vhd | head -c 8)" conectix
check_eq "no cookie at the start" "$(head -c 8 fixed.vhd | tr -d '\0')" ""
vsize=$(qemu-img info -f vpc --output=json fixed.vhd | jq '."virtual-size"')
check_eq "qemu-img info: the guest is the file less its footer" "$vsize" $(($(stat -c %s fixed.vhd) - 512))
qemu-img convert -f vpc -O raw fixed.vhd want.raw

st=0
"$DA" --list --json --format vpc fixed.vhd >list.json 2>list.err || st=$?
check_eq "--format vpc: status" "$st" 0
check_eq "--format vpc: stderr" "$(cat list.err)" ""
check_eq "--format vpc: format" "$(jq -r '.disks[0].format' list.json)" vpc
check_eq "--format vpc: size (qemu-img info)" "$(jq '.disks[0].size' list.json)" "$vsize"
check_eq "--format vpc: partition start (sfdisk)" \
	"$(jq '.disks[0].content.partitions[0].start' list.json)" \
	"$(($(sfdisk --json disk.raw | jq '.partitiontable.partitions[0].start') * 512))"
"$DA" --format vpc --cat "0+$vsize" fixed.vhd >got.raw 2>cat.err || fail "--cat: $(cat cat.err)"
cmp want.raw got.raw >&2 || fail "the guest differs from qemu-img convert -f vpc's"

# detection is left as qemu's: raw, the whole file
check_eq "detected format" "$("$DA" --list --json fixed.vhd | jq -r '.disks[0].format')" raw
# a file without a footer, forced: one line, as before
st=0
"$DA" --list --format vpc disk.raw >/dev/null 2>raw.err || st=$?
check_eq "raw forced vpc: status" "$st" 1
grep -q "disk.raw: not a vpc image" raw.err || fail "raw forced vpc: $(cat raw.err)"
echo "ok: a fixed VHD opens with --format vpc as qemu-img reads it ($vsize bytes)"
