#!/bin/sh
# --lookup vg/lv:OFFSET: a byte of a logical volume, answered as the disk
# byte it lives on.  Where each LV byte lies is worked out here from lvs's
# and pvs's own reports kept beside the images (seg_pe_ranges, pe_start,
# extent and stripe sizes) for linear LVs, an LV spanning two disks and a
# striped LV; the answer must name that disk and byte and list the LV at
# the offset asked.  The explorer's g takes the same form.  Bad names and
# offsets past the LV's end are one-line errors.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/tui/common.inc"
requires jq xz awk tmux

# truth PREFIX: one line "LV_NAME LV_SIZE SEG_START_PE SEG_SIZE_PE STRIPE_SIZE
# EXTENT PV_FILE PV_BYTE PE_START FIRST_PE [PV_FILE PV_BYTE PE_START FIRST_PE...]"
truth() {
	ext=$(jq -r '.report[0].pv[0].vg_extent_size | rtrimstr("B")' "$IMAGES/$1.pvs.json")
	jq -r --arg ext "$ext" --slurpfile pvs "$IMAGES/$1.pvs.json" '
		($pvs[0].report[0].pv | map({key: .pv_name, value: (.pe_start | rtrimstr("B"))}) | from_entries) as $pes |
		.report[0].seg[] |
		[.vg_name + "/" + .lv_name, (.lv_size | rtrimstr("B")), .seg_start_pe, .seg_size_pe,
		 (.stripe_size | rtrimstr("B")), $ext] +
		(.seg_pe_ranges | split(" ") | map(capture("^(?<pv>[^@]*)@(?<at>[0-9]*):(?<a>[0-9]*)-") |
			[.pv, .at, $pes[.pv + "@" + .at], .a]) | add) | join(" ")' "$IMAGES/$1.lvs.json"
}
# where LV byte X lies, from a truth line: "PV_FILE BYTE" or nothing
where() {
	awk -v x="$1" '{
		ext = $6; s = $3 * ext; len = $4 * ext
		if (x < s || x >= s + len) next
		k = (NF - 6) / 4; y = x - s
		if (k == 1) { i = 0; inpv = y }
		else { c = int(y / $5); i = c % k; inpv = int(c / k) * $5 + y % $5 }
		pv = $(7 + 4 * i); at = $(8 + 4 * i); pe0 = $(9 + 4 * i); a = $(10 + 4 * i)
		printf "%s %.0f\n", pv, at + pe0 + a * ext + inpv; exit }'
}

n=0
for prefix in lvm-gpt lvm-span lvm-striped; do
	case $prefix in
	lvm-span) set -- "$(image lvm-span-a)" "$(image lvm-span-b)" ;;
	*) set -- "$(image "$prefix")" ;;
	esac
	truth "$prefix" >"$T/truth"
	[ -s "$T/truth" ] || fail "$prefix: no segments in the lvs report"
	for lv in $(awk '{ print $1 }' "$T/truth" | sort -u); do
		grep "^$lv " "$T/truth" >"$T/segs"
		size=$(awk 'NR == 1 { print $2 }' "$T/segs")
		# the first and last bytes, both sides of every segment's
		# start, stripe edges, and a few spread bytes
		{ echo 0; echo $((size - 1))
		  awk '{ s = $3 * $6; if (s) { print s - 1; print s } }' "$T/segs"
		  echo 65535; echo 65536; echo 131072
		  awk -v z="$size" 'BEGIN { srand(5); for (i = 0; i < 12; i++) printf "%d\n", int(rand() * z) }'
		} | sort -n -u | awk -v z="$size" '$1 < z' >"$T/offs"
		while read -r x; do
			w=$(where "$x" <"$T/segs")
			[ -n "$w" ] || fail "$lv:$x: in no segment of the lvs report"
			disk=${w% *}; byte=${w#* }
			got=$("$DA" --lookup "$lv:$x" --json "$@") || fail "$lv:$x: exit $?"
			check_eq "$lv:$x disk" "$(echo "$got" | jq -r .disk)" "$disk"
			check_eq "$lv:$x disk byte" "$(echo "$got" | jq -r .offset)" "$byte"
			check_eq "$lv:$x offset in the LV" \
				"$(echo "$got" | jq -r --arg lv "$lv" '.owners[] | select(.kind == "lv" and .name == $lv) | .offset')" "$x"
			n=$((n + 1))
		done <"$T/offs"
	done
	echo "ok: $prefix: every LV byte asked lies where lvs says"
done

# the stream form, and errors
img=$(image lvm-gpt)
printf 'atlas/data:0\natlas/nope:0\natlas/data:999G\n' | "$DA" --lookup - --json "$img" >"$T/stream" && fail "--lookup - with bad lines exited 0"
check_eq "stream answers" "$(wc -l <"$T/stream")" 3
jq -e -s '.[0].owners | any(.kind == "lv" and .name == "atlas/data" and .offset == 0)' "$T/stream" >/dev/null || fail "stream: atlas/data:0 not answered: $(head -1 "$T/stream")"
jq -e -s '.[1].error | test("no disk or volume named .atlas/nope.")' "$T/stream" >/dev/null || fail "stream: $(sed -n 2p "$T/stream")"
jq -e -s '.[2].error | test("past the end of atlas/data")' "$T/stream" >/dev/null || fail "stream: $(sed -n 3p "$T/stream")"
"$DA" --lookup atlas/data:999G "$img" >"$T/out" 2>"$T/err" && fail "an offset past the LV's end exited 0"
[ "$(wc -l <"$T/err")" -eq 1 ] && [ ! -s "$T/out" ] || fail "past the end: $(cat "$T/err" "$T/out")"

# the explorer's g: the same disk byte, the LV at the offset typed
IMG=$img
x=$((9 * 1048576 + 12345))
want=$("$DA" --lookup "atlas/data:$x" --json "$img" | jq -r .offset)
tui_start "$img"
keys g; typed "atlas/data:$x"; keys Enter
check_eq "g atlas/data:$x" "$(cursor_offset)" "$want"
side | grep -A1 '^[0-9]*\. lv atlas/data' | grep -q "@ $x " || fail "g: the side pane does not show atlas/data at $x: $(side)"
keys q
wait_for '^EXIT=0$' || fail "q"
echo "ok: $n LV bytes, the stream form, errors and the explorer's g"
