#!/bin/sh
# make bench: the ext4 images of the performance goals, made with the real
# tools (sgdisk, mkfs.ext4 -d) and kept between runs.  Sourced by
# tests/bench/ext4.sh; run alone (sh tests/bench/images.sh) it builds them.
#
#   a  1 GiB, 3,000 files                 b  2 TiB sparse, lazy, 50,000 files
#   c  6 GiB, 264k extents (islands)      d  8 GiB, 511k inodes in use
#   e  16 TiB, -O 64bit, lazy, 3,000 files f  12 GiB, 1.05M extents (interleaved)
#   empty-SIZE  an empty ext4 of SIZE (the sweep, and f's size for the
#               memory an extent costs)
#
# Every image is a GPT disk with one partition holding the ext4.  Extents
# are made as data islands: sparse files with one written 4 KiB block in
# every other block, which mkfs.ext4 -d copies block by block (holes stay
# holes), so each island is an extent of its own (c).  f's are made faster
# and scattered as on a real disk: pairs of files grown a block at a time in
# turn by debugfs fallocate, so that no two blocks of a file are adjacent
# and each block is an extent (unwritten, as fallocate leaves it).
#
# Images live in DA_BENCH_DIR (build/bench-images); one the host
# filesystem cannot hold as a sparse file (ext4 stops 4 KiB short of
# 16 TiB) goes to DA_BENCH_BIG_DIR (a tmpfs: /dev/shm/diskatlas-bench).
# NAME.info beside NAME.img records how it was made; an image with its
# .info is not made again.  The source trees are written to a tmpfs
# (DA_BENCH_TREES, /dev/shm) when it has 8 GiB free.  DA_BENCH_QUICK=1 makes smaller c, d and f
# (1/8) and sweeps to 16 TiB only.
# SPDX-License-Identifier: GPL-2.0-or-later

: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
BENCH_DIR=${DA_BENCH_DIR:-$TOP/build/bench-images}
BENCH_BIG=${DA_BENCH_BIG_DIR:-/dev/shm/diskatlas-bench}
BENCH_TREES=${DA_BENCH_TREES:-/dev/shm}
QUICK=${DA_BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	MODE=quick
	SCALE=8
	SWEEP="128G 512G 2T 16T"
else
	MODE=full
	SCALE=1
	SWEEP="128G 512G 2T 16T 64T"
fi
PATH=$PATH:/sbin:/usr/sbin

bench_now() { date +%s.%N; }

# img_dir NAME SIZE: the directory that holds NAME (built or cached);
# fails when no candidate takes a sparse file of SIZE
img_dir() {
	for d in "$BENCH_DIR" "$BENCH_BIG"; do
		[ -f "$d/$1.info" ] && [ -f "$d/$1.img" ] && { echo "$d"; return 0; }
	done
	for d in "$BENCH_DIR" "$BENCH_BIG"; do
		mkdir -p "$d" 2>/dev/null || continue
		if truncate -s "$2" "$d/.probe-$$" 2>/dev/null; then
			rm -f "$d/.probe-$$"
			echo "$d"
			return 0
		fi
		rm -f "$d/.probe-$$"
	done
	return 1
}

# mkext4 IMG SIZE EXTENDED-OPTIONS [MKFS-ARG]...: a GPT disk of SIZE with
# one Linux partition from 1 MiB to the end and ext4 in it; sets OFF (the
# partition's byte offset)
mkext4() {
	_img=$1 _size=$2 _eopt=$3
	shift 3
	rm -f "$_img"
	truncate -s "$_size" "$_img"
	sgdisk -o -n 1:2048:0 -t 1:8300 "$_img" >/dev/null
	_first=$(sgdisk -i 1 "$_img" | awk '/^First sector/ { print $3 }')
	_last=$(sgdisk -i 1 "$_img" | awk '/^Last sector/ { print $3 }')
	OFF=$((_first * 512))
	# -b: without it the size is read as 1 KiB blocks
	mkfs.ext4 -q -F -b 4096 -E "offset=$OFF${_eopt:+,$_eopt}" "$@" "$_img" \
		$(((_last - _first + 1) * 512 / 4096))
}

# small_tree DIR NDIRS PER: NDIRS directories of PER files of 1..20,000
# bytes of text
small_tree() {
	awk -v top="$1" -v nd="$2" -v per="$3" 'BEGIN {
		for (d = 0; d < nd; d++) {
			dir = sprintf("%s/d%04d", top, d); system("mkdir -p " dir)
			for (i = 0; i < per; i++) {
				f = sprintf("%s/f%04d", dir, i)
				n = (d * 37 + i * 101) % 20000 + 1
				line = sprintf("file %d of directory %d, the quick brown fox jumps\n", i, d)
				s = ""
				while (length(s) < n) s = s line
				printf "%s", substr(s, 1, n) > f
				close(f)
			}
		} }'
}

# many_tree DIR NDIRS PER: NDIRS directories of PER files, most of them
# empty (an inode each and no block), every eighth with 100 bytes
many_tree() {
	awk -v top="$1" -v nd="$2" -v per="$3" 'BEGIN {
		for (d = 0; d < nd; d++) {
			dir = sprintf("%s/d%04d", top, d); system("mkdir -p " dir)
			for (i = 0; i < per; i++) {
				f = sprintf("%s/f%04d", dir, i)
				if (i % 8 == 0)
					printf "%0100d", d * per + i > f
				else
					printf "" > f
				close(f)
			}
		} }'
}

# island_tree DIR NFILES ISLANDS: NFILES sparse files in directories of
# 100, each with ISLANDS written 4 KiB blocks, one every other block
island_tree() {
	python3 - "$1" "$2" "$3" <<'EOF'
import os, sys
top, nfiles, islands = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(nfiles):
    d = os.path.join(top, "s%03d" % (i // 100))
    os.makedirs(d, exist_ok=True)
    fd = os.open(os.path.join(d, "sparse%05d" % i), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    for k in range(islands):
        os.pwrite(fd, (b"island %8d of file %6d " % (k, i)).ljust(4096, b"."), 2 * k * 4096)
    os.close(fd)
EOF
}

# interleave IMG OFF NFILES EXTENTS: NFILES files in directories of 100,
# made by debugfs in pairs, each pair grown a block at a time in turn, so
# each file gets EXTENTS one-block extents; the file names on stdout
interleave() {
	awk -v nf="$3" -v ne="$4" 'BEGIN {
		for (i = 0; i < nf; i++) {
			d = sprintf("/frag%03d", i / 100)
			if (i % 100 == 0) print "mkdir " d
			name[i] = sprintf("%s/frag%05d", d, i)
			print "write /dev/null " name[i]
		}
		for (i = 0; i + 1 < nf; i += 2)
			for (k = 0; k < ne; k++) {
				printf "fallocate %s %d %d\n", name[i], k, k
				printf "fallocate %s %d %d\n", name[i + 1], k, k
			}
	}' >"$1.cmds"
	debugfs -w -f "$1.cmds" "$1?offset=$2" >/dev/null 2>&1
	rm -f "$1.cmds"
	awk -v nf="$3" 'BEGIN { for (i = 0; i + 1 < nf; i += 2) printf "/frag%03d/frag%05d\n/frag%03d/frag%05d\n", i / 100, i, (i + 1) / 100, i + 1 }'
}

# island_extents IMG OFF TREE: the leaf extents of TREE's sparse files as
# debugfs dump_extents lists them
island_extents() {
	(cd "$3" && find . -name 'sparse*' -type f) |
		sed 's|^\.|dump_extents -l |' >"$3.cmds"
	debugfs -f "$3.cmds" "$1?offset=$2" 2>/dev/null |
		awk '$1 ~ /^[0-9]+\/$/ || $1 ~ /^[0-9]+\/[0-9]+$/ { n++ } END { print n + 0 }'
	rm -f "$3.cmds"
}

# build NAME: make image NAME unless it is cached; sets IMG and sources
# its .info (OFF, SIZE, FILES, EXTENTS, MADE, TREE...).  Returns 1 with
# SKIP set to the reason when the host cannot hold it.
build() {
	IMG="" SKIP=""
	case $1 in
	a) _size=1G ;; b) _size=2T ;; c) _size=6G ;; d) _size=8G ;;
	e) _size=16T ;; f) _size=12G ;; empty-*) _size=${1#empty-} ;;
	*) SKIP="no image $1"; return 1 ;;
	esac
	_name=$1
	# f's recipe changed from islands to interleaved files: a new name
	case $1 in f) _name=f2 ;; esac
	case $1 in c|d|f) [ "$QUICK" = 1 ] && _name=$_name-quick ;; esac
	if ! _dir=$(img_dir "$_name" "$_size"); then
		SKIP="neither $BENCH_DIR nor $BENCH_BIG holds a sparse file of $_size"
		return 1
	fi
	IMG=$_dir/$_name.img
	if [ -f "$_dir/$_name.info" ]; then
		# shellcheck source=/dev/null
		. "$_dir/$_name.info"
		# the file list beside the image, wherever the cache now is
		FILES=$_dir/$_name.files
		return 0
	fi
	_t0=$(bench_now)
	# the source tree on a tmpfs when it has room (many small files and
	# gigabytes of islands are written once and thrown away)
	_tree=$_dir/$_name.tree _t=""
	if [ "$(df -Pk "$BENCH_TREES" 2>/dev/null | awk 'NR == 2 { print $4 }')" -gt 8388608 ] 2>/dev/null &&
		_t=$(mktemp -d "$BENCH_TREES/da-bench-tree.XXXXXX" 2>/dev/null); then
		_tree=$_t/$_name.tree
	fi
	rm -rf "$_tree"
	mkdir -p "$_tree"
	_islands=0 _isl=""
	case $1 in
	a|e) small_tree "$_tree" 60 50 ;;
	b) small_tree "$_tree" 500 100 ;;
	c) small_tree "$_tree" 10 100; _isl="$((528 / SCALE)) 500" ;;
	d) many_tree "$_tree" $((5110 / SCALE)) 100 ;;
	f) small_tree "$_tree" 10 100 ;;
	esac
	# shellcheck disable=SC2086 # two numbers
	[ -z "$_isl" ] || island_tree "$_tree" $_isl
	case $1 in
	a|c|d|f) mkext4 "$IMG" "$_size" "" -d "$_tree" ;;
	b) mkext4 "$IMG" "$_size" lazy_itable_init=1,lazy_journal_init=1 -d "$_tree" ;;
	e) mkext4 "$IMG" "$_size" lazy_itable_init=1,lazy_journal_init=1 -O 64bit -d "$_tree" ;;
	empty-*) mkext4 "$IMG" "$_size" lazy_itable_init=1,lazy_journal_init=1 -O 64bit ;;
	esac || {
		SKIP="mkfs.ext4 failed"
		rm -rf "$_tree" "$IMG"
		[ -z "$_t" ] || rmdir "$_t"
		return 1
	}
	[ -z "$_isl" ] || _islands=$(island_extents "$IMG" "$OFF" "$_tree")
	# the regular files, for choosing lookups inside files
	(cd "$_tree" && find . -type f -size +0 | sed 's|^\.||') >"$_dir/$_name.files"
	if [ "$1" = f ]; then
		interleave "$IMG" "$OFF" $((2100 / SCALE)) 500 >"$_dir/$_name.frag"
		sed 's/^/dump_extents -l /' "$_dir/$_name.frag" >"$_dir/$_name.cmds"
		_islands=$(debugfs -f "$_dir/$_name.cmds" "$IMG?offset=$OFF" 2>/dev/null |
			awk '$1 ~ /^[0-9]+\/$/ { n++ } END { print n + 0 }')
		rm -f "$_dir/$_name.cmds"
		cat "$_dir/$_name.frag" >>"$_dir/$_name.files"
		rm -f "$_dir/$_name.frag"
	fi
	rm -rf "$_tree"
	[ -z "$_t" ] || rmdir "$_t"
	_made=$(echo "$_t0 $(bench_now)" | awk '{ printf "%.0f", $2 - $1 }')
	cat >"$_dir/$_name.info" <<EOF
OFF=$OFF
SIZE=$_size
ISLAND_EXTENTS=$_islands
FILES=$_dir/$_name.files
MADE=$_made
EOF
	# shellcheck source=/dev/null
	. "$_dir/$_name.info"
	# shellcheck disable=SC2153 # MADE comes from the .info
	echo "  (made $_name: $SIZE in $MADE s, $(du -k "$IMG" | cut -f1) KiB on disk in $_dir)"
}

if [ "${0##*/}" = images.sh ]; then
	set -eu
	echo "== bench images ($MODE mode)"
	for n in a b c d e f; do
		build "$n" || echo "  $n: skipped: $SKIP"
	done
	for s in $SWEEP 12G; do
		build "empty-$s" || echo "  empty-$s: skipped: $SKIP"
	done
fi
