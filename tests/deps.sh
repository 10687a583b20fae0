#!/bin/sh
# Install what diskatlas needs to build and test, only what is missing.
# Debian/Ubuntu: apt-get; elsewhere: print what to install.
set -u

# pkg-config name -> Debian package
PKGS="ncursesw:libncurses-dev ext2fs:libext2fs-dev com_err:comerr-dev cmocka:libcmocka-dev"
# command -> Debian package (compilers: clang for the fuzz target and the
# sanitizers; image tools, ground-truth tools, tmux)
CMDS="cc:gcc make:make pkg-config:pkg-config sfdisk:fdisk sgdisk:gdisk mkfs.ext4:e2fsprogs debugfs:e2fsprogs mkfs.fat:dosfstools fsck.fat:dosfstools mdir:mtools mkswap:util-linux lvm:lvm2 tmux:tmux xz:xz-utils jq:jq fls:sleuthkit valgrind:valgrind clang:clang"

missing=""
for pc in $PKGS; do
	name=${pc%%:*}; pkg=${pc#*:}
	command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "$name" && continue
	missing="$missing $pkg"
done
for c in $CMDS; do
	name=${c%%:*}; pkg=${c#*:}
	command -v "$name" >/dev/null 2>&1 && continue
	[ -x "/sbin/$name" ] || [ -x "/usr/sbin/$name" ] && continue
	missing="$missing $pkg"
done
# make bench reads peak memory from GNU time
[ -x /usr/bin/time ] || missing="$missing time"
# tests/integration/ui-layers.sh reads the explorer's objects with nm
command -v nm >/dev/null 2>&1 || missing="$missing binutils"
missing=$(printf '%s\n' $missing | sort -u | tr '\n' ' ')
[ -z "${missing% }" ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO="sudo"
	echo "deps: installing $missing"
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || true
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
		echo "deps: apt-get install failed; install by hand: $missing" >&2
		exit 1
	}
else
	echo "deps: no apt-get here; please install the equivalents of these Debian packages: $missing" >&2
	exit 1
fi
