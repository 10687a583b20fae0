#!/bin/sh
# A spare member's data area holds no byte of the array: --lookup gives it
# the role spare (with nothing under it) where mdadm --examine says
# "Device Role : spare", at the data offset and size mdadm gives, and the
# role data (with the array under it) on the active members.  A RAID5
# with 1.2 superblocks and a RAID1 with 1.0 (data from byte 0), each with
# a spare, made by mdraid.py as the other md tests make their members.
. "$(dirname "$0")/../lib.sh"
requires jq python3 mdadm
P="$IMAGES/mdraid.py"
head -c 8M /dev/urandom >"$T/data"
# check LABEL MEMBER...: every member's data area against mdadm --examine
check() {
	label=$1; shift
	for m in "$@"; do
		mdadm --examine "$m" >"$T/ex" 2>&1 || fail "$label: mdadm --examine $m: $(cat "$T/ex")"
		f() { sed -n "s/^ *$1 : //p" "$T/ex" | head -1; }
		role=$(f 'Device Role')
		doff=$(f 'Data Offset' | cut -d' ' -f1)
		doff=$(( ${doff:-0} * 512 ))    # mdadm leaves out 0 (1.0)
		dsize=$(( $(f 'Avail Dev Size' | cut -d' ' -f1) * 512 ))
		case $role in
		spare) want="spare -" ;;
		"Active device "*) want="data md_array" ;;
		*) fail "$label: $m: mdadm says Device Role '$role'" ;;
		esac
		for off in $doff $((doff + dsize / 2)) $((doff + dsize - 1)); do
			got=$("$DA" --lookup "$(basename "$m"):$off" --json "$@" |
				jq -r '[.owners[0].role, (.owners[1].kind // "-")] | join(" ")')
			# an active RAID5 member's chunk is the array's or parity
			[ "$want" = "data md_array" ] && [ "$got" = "parity -" ] &&
				got="data md_array"
			check_eq "$label: $(basename "$m") ($role) at $off" "$got" "$want"
		done
		echo "ok: $label: $(basename "$m"): $role, $want over its data area ($doff+$dsize)"
	done
}

for i in 0 1 2 3; do truncate -s 4M "$T/r5-$i"; done
python3 "$P" --data "$T/data" --uuid 0123456789abcdef0011223344556677 --name t:r5 \
	--level 5 --layout 2 --chunk 65536 "$T/r5-0" "$T/r5-1" "$T/r5-2" "$T/r5-3=spare" ||
	fail "mdraid.py raid5"
mdadm --examine "$T/r5-3" | grep -q 'Device Role : spare' || fail "mdadm does not see r5-3 as a spare"
check raid5 "$T/r5-0" "$T/r5-1" "$T/r5-2" "$T/r5-3"

for i in 0 1 2; do truncate -s 4M "$T/r1-$i"; done
python3 "$P" --data "$T/data" --uuid 00112233445566778899aabbccddeeff --name t:r1 \
	--level 1 --chunk 0 --metadata 1.0 "$T/r1-0" "$T/r1-1" "$T/r1-2=spare" ||
	fail "mdraid.py raid1"
check raid1 "$T/r1-0" "$T/r1-1" "$T/r1-2"

# the role is in the vocabulary, explained
"$DA" --lookup r5-3:2M "$T/r5-0" "$T/r5-1" "$T/r5-2" "$T/r5-3" | grep -q 'role spare' ||
	fail "the text lookup does not say role spare"
