#!/bin/sh
# An encrypted qcow2 (qemu's LUKS) of a GPT disk: the guest cannot be read
# without decrypting, which diskatlas does not do.  Its content must say
# so plainly, as the guest's own reason (not "mbr: ...", as if the MBR
# probe had found something wrong), and say how: --key-file is not the
# way, qemu-img convert is.  The man page's command is run as written and
# its copy holds the partition sfdisk made.
. "$(dirname "$0")/../lib.sh"
requires jq qemu-img sfdisk
cd "$T"
truncate -s 16M disk.raw
printf 'label: gpt\nstart=2048,type=L\n' | sfdisk -q disk.raw
printf atlas >key
# (qemu-img times its first PBKDF2 iterations on the thread's CPU time and
# may give up, "Unable to get accurate CPU usage": a known qemu bug; each
# retry is one more chance, as in vmimage-damage.sh)
for ms in 10 10 100 100 500 500; do
	qemu-img convert -q --object secret,id=s0,file=key -f raw -O qcow2 \
		-o encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=$ms,encrypt.hash-alg=sha512 \
		disk.raw enc.qcow2 2>/dev/null && break
done
[ -f enc.qcow2 ] || fail "qemu-img could not make a LUKS qcow2"
check_eq "qemu-img info: encrypted" \
	"$(qemu-img info --output=json enc.qcow2 | jq -r '."format-specific".data.encrypt.format')" luks

st=0
"$DA" --list --json enc.qcow2 >list.json 2>list.err || st=$?
check_eq "status" "$st" 0
check_eq "stderr" "$(cat list.err)" ""
check_eq "guest: type" "$(jq -r '.disks[0].content.type' list.json)" unknown
reason=$(jq -r '.disks[0].content.reason' list.json)
case $reason in
"enc.qcow2: the guest's data is encrypted (qcow2 LUKS)"*) ;;
*) fail "the reason does not say first that the guest is encrypted: $reason" ;;
esac
for want in "--key-file is for LUKS volumes" "qemu-img convert" "enc.qcow2@host"; do
	case $reason in *"$want"*) ;; *) fail "the reason does not say '$want': $reason" ;; esac
done
"$DA" --list enc.qcow2 | grep -q "^  unknown  (enc.qcow2: the guest's data is encrypted" ||
	fail "--list: $("$DA" --list enc.qcow2 | sed -n 2p)"
check_eq "host view: encryption" "$(jq -r '.disks[1].content.encryption' list.json)" luks

# the man page's command, as written there (KEYFILE and the image named)
cmd=$(sed -n '/^qemu\\-img convert \\-\\-object secret/,/guest.raw$/p' "$TOP/docs/diskatlas.1" |
	sed 's/\\-/-/g; s/\\e$/\\/; s/KEYFILE/key/')
[ -n "$cmd" ] || fail "no qemu-img convert command in the man page"
sh -c "$cmd" || fail "the man page's command fails: $cmd"
"$DA" --list --json guest.raw >guest.json || fail "the decrypted copy does not open"
check_eq "decrypted copy: partition start (sfdisk)" \
	"$(jq '.disks[0].content.partitions[0].start' guest.json)" \
	"$(($(sfdisk --json disk.raw | jq '.partitiontable.partitions[0].start') * 512))"
cmp disk.raw guest.raw >&2 || fail "the decrypted copy is not the disk encrypted"
echo "ok: an encrypted qcow2's guest says it is encrypted and how to decrypt it; the man page's command does"
