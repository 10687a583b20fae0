# Sourced by the lvm-*.sh image builders and tests: LVM2 on loop devices
# without device-mapper (--driverloaded n), with a private configuration
# (LVM_SYSTEM_DIR) whose device filter sees only our own loop devices, so
# nothing on the host is scanned, locked, backed up or changed.
#
#   lvm_begin                 private config in $LT; cleanup on exit
#   loop_attach FILE [OFF LEN] attach (a slice of) FILE, print the device
#   L CMD ARGS...             run an lvm command quietly (log in $LT/log)
#   lv_write VG/LV FILE       copy FILE into the LV's extents on the PVs
#   lvm_truth PREFIX          write PREFIX.lvs.json, .pvs.json, .vg
# Loop device names in the truth are replaced by DISK@OFFSET: the image's
# file name and the PV's byte offset in it.
# SPDX-License-Identifier: GPL-2.0-or-later

lvm_begin() {
	LT=$(mktemp -d "${TMPDIR:-/tmp}/lvm-img.XXXXXX")
	mkdir -p "$LT/etc" "$LT/lock"
	: >"$LT/map"
	: >"$LT/log"
	LVM_VGS=""
	export LVM_SYSTEM_DIR="$LT/etc" LVM_SUPPRESS_FD_WARNINGS=1
	lvm_conf
	# a test's own scratch directory ($T) goes too
	trap 'lvm_end; [ -z "${T:-}" ] || rm -rf "$T"' EXIT
	trap 'exit 1' INT TERM
}

lvm_conf() {
	filter=""
	while read -r fdev _; do
		filter="$filter\"a|^$fdev\$|\", "
	done <"$LT/map"
	cat >"$LT/etc/lvm.conf" <<EOF
devices {
	filter = [ $filter"r|.*|" ]
	global_filter = [ $filter"r|.*|" ]
	use_devicesfile = 0
	obtain_device_list_from_udev = 0
	external_device_info_source = "none"
	md_component_detection = 0
	multipath_component_detection = 0
}
global {
	locking_dir = "$LT/lock"
	use_lvmlockd = 0
	event_activation = 0
}
backup {
	backup = 0
	archive = 0
}
activation {
	udev_sync = 0
	udev_rules = 0
	monitoring = 0
}
EOF
}

lvm_end() {
	[ -n "${LT:-}" ] && [ -d "$LT" ] || return 0
	set +e
	for vg in $LVM_VGS; do
		lvm vgremove -f --driverloaded n "$vg" >>"$LT/log" 2>&1
	done
	while read -r ldev _; do
		losetup -d "$ldev"
	done <"$LT/map"
	rm -rf "$LT"
	set -e
}

# loop_attach FILE [OFFSET SIZE]: prints the device; remembers it
loop_attach() {
	if [ $# -ge 3 ]; then
		dev=$(losetup -f --show -o "$2" --sizelimit "$3" "$1")
	else
		dev=$(losetup -f --show "$1")
	fi
	echo "$dev $(basename "$1")@${2:-0}" >>"$LT/map"
	lvm_conf
	echo "$dev"
}

L() {
	echo "+ lvm $*" >>"$LT/log"
	lvm "$@" --driverloaded n >>"$LT/log" 2>&1 || {
		echo "lvm $* failed:" >&2
		tail -20 "$LT/log" >&2
		return 1
	}
	case $1 in vgcreate) LVM_VGS="$LVM_VGS $(lvm_vg_arg "$@")" ;; esac
}
lvm_vg_arg() {
	shift
	while [ $# -gt 0 ]; do
		case $1 in -s|-c|--config) shift 2 ;; -*) shift ;; *) echo "$1"; return ;; esac
	done
}

# lvs/pvs with the report on stdout, warnings in the log
R() { lvm "$@" --driverloaded n $LVM_RO 2>>"$LT/log"; }
LVM_RO=""

# lv_write VG/LV FILE: the LV's segments from lvs, each stripe's extents
# from pvs' pe_start; linear pieces in one dd each, stripes chunk by chunk.
lv_write() {
	ext=$(R vgs --noheadings --nosuffix --units b -o vg_extent_size "${1%%/*}" | tr -d ' ')
	R pvs --noheadings --nosuffix --units b -o pv_name,pe_start >"$LT/pes"
	R lvs -a --segments --noheadings --nosuffix --units b --separator ' ' \
		-o seg_start_pe,seg_size_pe,stripes,stripe_size,seg_pe_ranges "$1" >"$LT/segs"
	while read -r start count nstripes ssize ranges; do
		if [ "$nstripes" -eq 1 ]; then
			dev=${ranges%%:*}; pe=${ranges#*:}; pe=${pe%%-*}
			pes=$(awk -v d="$dev" '$1 == d { print $2 }' "$LT/pes")
			dd if="$2" of="$dev" bs=1M iflag=skip_bytes,count_bytes oflag=seek_bytes \
				skip=$((start * ext)) seek=$((pes + pe * ext)) count=$((count * ext)) \
				conv=notrunc,sparse status=none
			continue
		fi
		# chunk k of the segment goes to stripe k % n, row k / n
		area=$((count / nstripes * ext)); rows=$((area / ssize))
		i=0
		for r in $ranges; do
			dev=${r%%:*}; pe=${r#*:}; pe=${pe%%-*}
			pes=$(awk -v d="$dev" '$1 == d { print $2 }' "$LT/pes")
			row=0
			while [ "$row" -lt "$rows" ]; do
				dd if="$2" of="$dev" bs="$ssize" iflag=skip_bytes oflag=seek_bytes \
					skip=$((start * ext + (row * nstripes + i) * ssize)) \
					seek=$((pes + pe * ext + row * ssize)) count=1 \
					conv=notrunc,sparse status=none
				row=$((row + 1))
			done
			i=$((i + 1))
		done
	done <"$LT/segs"
	sync
}

# the loop device names in a report, replaced by DISK@OFFSET
lvm_unloop() {
	script=""
	while read -r udev where; do
		script="$script s|$udev\\([^0-9p]\\)|$where\\1|g;"
	done <"$LT/map"
	sed "$script"
}

lvm_truth() {
	R lvs -a --segments --units b --reportformat json \
		-o lv_name,vg_name,lv_uuid,lv_size,lv_attr,segtype,seg_start_pe,seg_size_pe,stripes,stripe_size,seg_pe_ranges |
		lvm_unloop >"$1.lvs.json"
	R pvs --units b --reportformat json \
		-o pv_name,pv_uuid,vg_name,vg_uuid,dev_size,pe_start,pv_pe_count,pv_pe_alloc_count,vg_extent_size,pv_mda_count |
		lvm_unloop >"$1.pvs.json"
	for vg in $LVM_VGS; do
		R vgcfgbackup -f "$LT/vg.backup" "$vg" >/dev/null
		# the host line and times change from build to build
		grep -v -e '^creation_host' -e '^creation_time' -e '^description' \
			-e '^# Generated' "$LT/vg.backup" | lvm_unloop
	done >"$1.vg"
}
