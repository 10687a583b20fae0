# Sourced by tests/integration/lvm-*.sh after tests/lib.sh: compare what
# diskatlas says about LVM2 images with what lvm's own tools said.
#
#   lvm_check PREFIX FSLIST DISK...
# PREFIX names the truth files (tests/images/PREFIX.lvs.json, .pvs.json,
# made by lvs and pvs when the image was built); DISK... the images.
# FSLIST is "vg/lv:kind:fstype ..." for the contents the builder put in
# the LVs (an fstype ending in * is a prefix).  When loop devices work,
# the truth is first re-derived live with lvs/pvs on loop devices of the
# fresh copies (a device filter sees only those) and must match.
# Counts checks in $checked.
# SPDX-License-Identifier: GPL-2.0-or-later

checked=0

# the segments of a report, one line each, loop devices as DISK@OFFSET:
# "vg/lv start count type stripes stripe_size DISK@OFF:pe,..."
truth_segs() {
	jq -r '.report[0].seg[] | select(.lv_name | startswith("[") | not) |
		[.vg_name + "/" + .lv_name, .seg_start_pe, .seg_size_pe, .segtype,
		 .stripes, (.stripe_size | rtrimstr("B")),
		 (.seg_pe_ranges | split(" ") | map(sub("-[0-9]+$"; "")) | join(","))] |
		join(" ")' "$1" | sort
}

lvm_live_truth() {
	. "$IMAGES/lvm-env.sh"
	lvm_begin
	LVM_RO=--readonly
	jq -r '.report[0].pv[] | "\(.pv_name) \(.dev_size | rtrimstr("B"))"' "$IMAGES/$1.pvs.json" |
	while read -r where size; do
		loop_attach "$T/${where%@*}" "${where#*@}" "$size" >/dev/null
	done
	lvm_conf
	lvm_truth "$T/live"
	lvm_end
	check_eq "live lvs segments" "$(truth_segs "$T/live.lvs.json")" "$(truth_segs "$IMAGES/$1.lvs.json")"
	for k in pv_name pv_uuid vg_name dev_size pe_start pv_pe_count pv_pe_alloc_count; do
		check_eq "live pvs $k" "$(jq -r ".report[0].pv | sort_by(.pv_uuid) | map(.$k) | join(\" \")" "$T/live.pvs.json")" \
			"$(jq -r ".report[0].pv | sort_by(.pv_uuid) | map(.$k) | join(\" \")" "$IMAGES/$1.pvs.json")"
	done
	checked=$((checked + 8))
	echo "truth re-derived live with lvs/pvs on loop devices"
}

# owners of one --lookup --json line, compact: kinds, offsets, roles
owner_chain() {
	jq -r '[.owners[] |
		if .kind == "partition_table" then "partition_table:\(.offset):\(.role)"
		elif .kind == "partition" then "partition:\(.offset)"
		elif .kind == "lvm2_pv" then "lvm2_pv:\(.offset):\(.role // "")"
		elif .kind == "lv" then "lv:\(.name):\(.offset)"
		else "\(.kind):\(.offset):\(.fstype // "")" end] | join(" ")'
}

lvm_check() {
	prefix=$1; fslist=$2; shift 2
	disks=""
	for d in "$@"; do disks="$disks $(image "$d")"; done
	lvs_truth="$IMAGES/$prefix.lvs.json"; pvs_truth="$IMAGES/$prefix.pvs.json"
	if can_loop && command -v lvm >/dev/null 2>&1; then
		lvm_live_truth "$prefix"
	else
		echo "loop devices unavailable: using the committed truth only"
	fi
	# shellcheck disable=SC2086
	"$DA" --list --json $disks >"$T/list.json" || fail "--list --json failed"
	ext=$(jq -r '.report[0].pv[0].vg_extent_size | rtrimstr("B")' "$pvs_truth")

	# --- the LVs' segments, PV by PV UUID ---
	truth_segs "$lvs_truth" >"$T/truth.segs"
	jq -r --slurpfile pvs "$pvs_truth" '
		($pvs[0].report[0].pv | map({(.pv_uuid): .pv_name}) | add) as $m |
		.volumes[] | select(.kind == "lv") | .name as $n | .segments[] |
		[$n, .start_extent, .extent_count, .type, (.stripes | length),
		 (.stripe_size // 0),
		 (.stripes | map(($m[.pv_uuid] // "missing") + ":" + (.pe_start | tostring)) | join(","))] |
		map(tostring) | join(" ")' "$T/list.json" | sort >"$T/ours.segs"
	diff "$T/truth.segs" "$T/ours.segs" >&2 || fail "LV segments differ from lvs (< lvs, > diskatlas)"
	checked=$((checked + $(wc -l <"$T/truth.segs")))
	check_eq "LVs" "$(jq -r '[.volumes[] | select(.kind == "lv") | .name] | sort | join(" ")' "$T/list.json")" \
		"$(jq -r '[.report[0].seg[] | select(.lv_name | startswith("[") | not) | .vg_name + "/" + .lv_name] | unique | join(" ")' "$lvs_truth")"
	jq -e '[.volumes[] | select(.kind == "lv") | select(.partial or .reason)] | length == 0' "$T/list.json" >/dev/null ||
		fail "an LV is partial or has a reason: $(jq -c '[.volumes[] | .reason]' "$T/list.json")"
	jq -r '.report[0].seg[] | select(.lv_name | startswith("[") | not) | "\(.vg_name)/\(.lv_name) \(.lv_size | rtrimstr("B"))"' "$lvs_truth" | sort -u |
	while read -r lv size; do
		check_eq "$lv size" "$(jq -r --arg n "$lv" '.volumes[] | select(.name == $n) | .size' "$T/list.json")" "$size"
	done
	checked=$((checked + 2))

	# --- the PVs ---
	jq -r '.report[0].pv[] | "\(.pv_uuid) \(.pe_start | rtrimstr("B")) \(.pv_pe_count) \(.pv_pe_alloc_count) \(.vg_name)"' "$pvs_truth" |
	while read -r uuid pes count alloc vg; do
		got=$(jq -r --arg u "$uuid" '[.. | objects | select(.type? == "lvm2_pv" and .uuid == $u)] |
			if length == 1 then .[0] | "\(.pe_start) \(.pe_count) \(.pe_allocated) \(.vg) \(.warnings // [] | length)" else "found \(length)" end' "$T/list.json")
		check_eq "PV $uuid" "$got" "$pes $count $alloc $vg 0"
	done
	checked=$((checked + $(jq '.report[0].pv | length' "$pvs_truth")))

	# --- the LVs' contents ---
	ext_known=no
	if command -v mkfs.ext4 >/dev/null 2>&1; then
		truncate -s 4M "$T/probe.ext4"
		mkfs.ext4 -q -F "$T/probe.ext4"
		[ "$("$DA" --list --json "$T/probe.ext4" | jq -r .disks[0].content.type)" = filesystem ] && ext_known=yes
	fi
	: >"$T/fs"
	for f in $fslist; do
		lv=${f%%:*}; rest=${f#*:}; kind=${rest%%:*}; fstype=${rest#*:}
		case $fstype in ext*) [ "$ext_known" = yes ] || { echo "ext4 not recognised by this build: $lv's content not checked"; fstype=-; }; esac
		echo "$lv $kind $fstype" >>"$T/fs"
		[ "$fstype" = - ] && continue
		got=$(jq -r --arg n "$lv" '.volumes[] | select(.name == $n) | .content | "\(.type) \(.fstype // "")"' "$T/list.json")
		# shellcheck disable=SC2254
		case $got in "$kind "$fstype) ;; *) fail "$lv content: got '$got', want '$kind $fstype'" ;; esac
		checked=$((checked + 1))
	done

	# --- lookups: in every stripe of every segment, unallocated extents,
	# the label and the metadata area ---
	jq -r '.report[0].pv[] | "\(.pv_name) \(.pe_start | rtrimstr("B")) \(.pv_pe_count) \(.pv_mda_count // "1")"' "$pvs_truth" >"$T/pvs"
	: >"$T/where"; : >"$T/want"
	add() { echo "$1" >>"$T/where"; echo "$2" >>"$T/want"; }
	pre() {   # the partition owners above a PV at $1 bytes in its disk
		[ "$1" -gt 0 ] && printf 'partition_table:%s:partition partition:%s ' "$2" "$3"
		return 0
	}
	while read -r lv start count type n ss ranges; do
		area=$((count / n * ext))
		i=0
		fsk=$(awk -v l="$lv" '$1 == l { print $2 ":" $3 }' "$T/fs")
		for r in $(echo "$ranges" | tr , ' '); do
			where=${r%:*}; pe=${r##*:}; disk=${where%@*}; off=${where#*@}
			pes=$(awk -v w="$where" '$1 == w { print $2 }' "$T/pvs")
			for o in 0 $((area / 2 + 4097)) $((area - 1)); do
				pvoff=$((pes + pe * ext + o)); at=$((off + pvoff))
				if [ "$n" -eq 1 ]; then
					lvoff=$((start * ext + o))
				else
					lvoff=$((start * ext + ((o / ss) * n + i) * ss + o % ss))
				fi
				want="$(pre "$off" "$at" "$pvoff")lvm2_pv:$pvoff:allocated lv:$lv:$lvoff"
				case $fsk in
				*:-|"") want="$want *" ;;
				*) want="$want ${fsk%%:*}:$lvoff:${fsk#*:}" ;;
				esac
				add "$disk:$at" "$want"
			done
			i=$((i + 1))
		done
	done <"$T/truth.segs"
	while read -r where pes pecount mdas; do
		disk=${where%@*}; off=${where#*@}
		for o in 0 512 2047; do
			add "$disk:$((off + o))" "$(pre "$off" $((off + o)) "$o")lvm2_pv:$o:label"
		done
		# LVM puts the first metadata area at 4 KiB; without one, the
		# space before the extents is padding
		role=metadata; [ "$mdas" -gt 0 ] || role=padding
		add "$disk:$((off + 4096))" "$(pre "$off" $((off + 4096)) 4096)lvm2_pv:4096:$role"
		add "$disk:$((off + 8191))" "$(pre "$off" $((off + 8191)) 8191)lvm2_pv:8191:$role"
		# the extents no segment uses
		used=$(awk -v w="$where" '{ n = split($7, r, ","); for (k = 1; k <= n; k++) {
			split(r[k], p, ":"); if (p[1] == w) { c = $3 / $5; for (e = p[2]; e < p[2] + c; e++) print e } } }' "$T/truth.segs" | sort -n | tr '\n' ' ')
		e=0; nfree=0
		while [ "$e" -lt "$pecount" ] && [ "$nfree" -lt 3 ]; do
			case " $used" in *" $e "*) ;; *)
				pvoff=$((pes + e * ext + ext / 3))
				add "$disk:$((off + pvoff))" "$(pre "$off" $((off + pvoff)) "$pvoff")lvm2_pv:$pvoff:unallocated"
				nfree=$((nfree + 1)) ;;
			esac
			e=$((e + 1))
		done
	done <"$T/pvs"
	# shellcheck disable=SC2086
	"$DA" --lookup - --json $disks <"$T/where" >"$T/got.json" || fail "--lookup - failed"
	check_eq "lookup answers" "$(wc -l <"$T/got.json")" "$(wc -l <"$T/where")"
	k=0
	while read -r line; do
		k=$((k + 1))
		want=$(sed -n "${k}p" "$T/want")
		where=$(sed -n "${k}p" "$T/where")
		got=$(echo "$line" | owner_chain)
		# a partition table's own name may be anything; the rest is exact
		# shellcheck disable=SC2254
		case $got in $want|${want% \*}) ;; *) fail "lookup $where: got '$got', want '$want'" ;; esac
		checked=$((checked + 1))
	done <"$T/got.json"
	echo "$prefix: $checked checks"
}
