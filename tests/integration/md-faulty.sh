#!/bin/sh
# A faulty member's data area holds no byte of the array: --lookup gives
# it the role faulty (with nothing under it) where its superblock marks it
# faulty, at the data offset and size mdadm --examine gives, and the role
# data (with the array under it) on the active members.  A RAID5 with 1.2
# superblocks, whose faulty member's dev_roles entry is 0xfffe (read from
# the superblock: mdadm 4.2's --examine prints "Device Role : spare" for
# it), and a RAID1 with 0.90 superblocks, whose faulty member mdadm
# --examine lists as "faulty" (MD_DISK_FAULTY); made by mdraid.py as the
# other md tests make their members.
. "$(dirname "$0")/../lib.sh"
requires jq python3 mdadm od
P="$IMAGES/mdraid.py"
head -c 8M /dev/urandom >"$T/data"
f() { sed -n "s/^ *$1 : //p" "$T/ex" | head -1; }
u16() { od -An -tu2 -j "$2" -N2 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
# role_of MEMBER: faulty, spare or active, from its superblock
role_of() {
	case $(f Version) in
	1.*)
		sb=$(( $(f 'Super Offset' | cut -d' ' -f1) * 512 ))
		r=$(u16 "$1" $((sb + 256 + 2 * $(u32 "$1" $((sb + 160))))))
		case $r in 65534) echo faulty ;; 65535) echo spare ;; *) echo active ;; esac ;;
	0.90*)
		case $(awk '$1 == "this" { $1 = $2 = $3 = $4 = $5 = ""; print }' "$T/ex") in
		*faulty*) echo faulty ;; *active*) echo active ;; *) echo spare ;; esac ;;
	esac
}
# check LABEL MEMBER...: every member's data area against its superblock
check() {
	label=$1; shift
	nf=0
	for m in "$@"; do
		mdadm --examine "$m" >"$T/ex" 2>&1 || fail "$label: mdadm --examine $m: $(cat "$T/ex")"
		role=$(role_of "$m")
		if [ "$(f Version)" = 0.90.00 ]; then
			doff=0
			dsize=$(( $(f 'Used Dev Size' | cut -d' ' -f1) * 1024 ))
		else
			doff=$(f 'Data Offset' | cut -d' ' -f1)
			doff=$(( ${doff:-0} * 512 ))
			dsize=$(( $(f 'Avail Dev Size' | cut -d' ' -f1) * 512 ))
		fi
		case $role in
		faulty) want="faulty -"; nf=$((nf + 1)) ;;
		active) want="data md_array" ;;
		*) fail "$label: $m: a $role member" ;;
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
	check_eq "$label: faulty members" "$nf" 1
}

for i in 0 1 2 3; do truncate -s 4M "$T/r5-$i"; done
python3 "$P" --data "$T/data" --uuid 0123456789abcdef0011223344556677 --name t:r5 \
	--level 5 --layout 2 --chunk 65536 "$T/r5-0" "$T/r5-1" "$T/r5-2" "$T/r5-3=faulty" ||
	fail "mdraid.py raid5"
check raid5 "$T/r5-0" "$T/r5-1" "$T/r5-2" "$T/r5-3"

for i in 0 1 2; do truncate -s 4M "$T/r1-$i"; done
python3 "$P" --data "$T/data" --uuid 00112233445566778899aabbccddeeff \
	--level 1 --chunk 0 --metadata 0.90 "$T/r1-0" "$T/r1-1" "$T/r1-2=faulty" ||
	fail "mdraid.py raid1"
mdadm --examine "$T/r1-2" | grep -q '^ *Failed Devices : 1$' || fail "mdadm: no failed device in r1-2's superblock"
check raid1 "$T/r1-0" "$T/r1-1" "$T/r1-2"

# the role is in the vocabulary, explained
"$DA" --lookup r5-3:2M "$T/r5-0" "$T/r5-1" "$T/r5-2" "$T/r5-3" | grep -q 'role faulty' ||
	fail "the text lookup does not say role faulty"
grep -q '^DA_ROLE(FAULTY, "faulty", .*, ".*faulty member.*")$' "$TOP/src/roles.def" ||
	fail "faulty is not explained in src/roles.def"
