# Sourced by every test script.  Conventions:
#   exit 0 pass, exit 77 skip (after printing "SKIP: reason"), else fail.
#   Scratch files go in $T (removed on exit).
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
DA="$TOP/diskatlas"
IMAGES="$TOP/tests/images"
T=$(mktemp -d "${TMPDIR:-/tmp}/da-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export LC_ALL=C.UTF-8

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# requires TOOL...: skip unless each tool can be found
requires() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || [ -x "/sbin/$t" ] || [ -x "/usr/sbin/$t" ] ||
			skip "$t is not installed"
	done
}
# image NAME: print the path of a fresh copy of tests/images/NAME.img,
# decompressed from NAME.img.xz (sparse) into $T.
image() {
	out="$T/$1.img"
	if [ ! -f "$out" ]; then
		[ -f "$IMAGES/$1.img.xz" ] || fail "missing tests/images/$1.img.xz (run tests/images/$1.sh)"
		xz -dc "$IMAGES/$1.img.xz" | cp --sparse=always /dev/stdin "$out"
	fi
	echo "$out"
}
# can_loop: true when loop devices can be attached here (root, /dev/loop*)
can_loop() {
	[ "$(id -u)" -eq 0 ] || return 1
	f=$(mktemp "$T/loopcheck.XXXXXX"); truncate -s 1M "$f"
	d=$(losetup -f --show "$f" 2>/dev/null) || return 1
	losetup -d "$d"; return 0
}
# check_eq WHAT GOT WANT
check_eq() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }
# human BYTES: a size as diskatlas writes it for people (da_human_size):
# whole units, one decimal below 10 of a unit when it has one
human() {
	awk -v b="$1" 'BEGIN { split("B KiB MiB GiB TiB", U, " "); d = b; u = 1
		while (d >= 1024 && u < 5) { d /= 1024; u++ }
		if (u == 1) printf "%d B\n", b
		else if (d < 10 && d != int(d)) printf "%.1f %s\n", d, U[u]
		else printf "%.0f %s\n", d, U[u] }'
}
# engine_pkgs: the pkg-config names the engine links (pkgs.mk), for
# tests that build a program of their own against it
engine_pkgs() { sed -n 's/^ENGINE_PKGS +*= //p' "$TOP/pkgs.mk" | tr '\n' ' '; }
# engine_dl_pkgs: the ones it loads when an image needs them (headers only)
engine_dl_pkgs() { sed -n 's/^ENGINE_DL_PKGS +*= //p' "$TOP/pkgs.mk" | tr '\n' ' '; }
