#!/bin/sh
# Install what diskatlas needs to build and test, only what is missing.
# Debian/Ubuntu: apt-get; elsewhere: print what to install.
set -u

# pkg-config name -> Debian package
PKGS="ncursesw:libncurses-dev ext2fs:libext2fs-dev com_err:comerr-dev cmocka:libcmocka-dev"
# command -> Debian package (compilers: clang for the fuzz target and the
# sanitizers; image tools, ground-truth tools, tmux)
# LUKS: JSON metadata, volume keys, sector decryption; cryptsetup makes
# the test volumes and is their ground truth
PKGS="$PKGS json-c:libjson-c-dev libcryptsetup:libcryptsetup-dev libcrypto:libssl-dev"
CMDS2="cryptsetup:cryptsetup-bin"
# LUKS: serpent and twofish volumes are decrypted with libgcrypt (the
# test also encrypts their payloads with it)
PKGS="$PKGS libgcrypt:libgcrypt20-dev"
CMDS="cc:gcc make:make pkg-config:pkg-config sfdisk:fdisk sgdisk:gdisk mkfs.ext4:e2fsprogs debugfs:e2fsprogs mkfs.fat:dosfstools fsck.fat:dosfstools mdir:mtools mkswap:util-linux lvm:lvm2 tmux:tmux xz:xz-utils jq:jq fls:sleuthkit valgrind:valgrind clang:clang"
# md RAID tests: mdadm --examine judges the members, python3 writes them
CMDS="$CMDS mdadm:mdadm python3:python3"
# XFS: mkfs.xfs builds the test images, xfs_db is their ground truth
CMDS="$CMDS mkfs.xfs:xfsprogs xfs_db:xfsprogs"
# NTFS: libntfs-3g to build; mkntfs, ntfs-3g (FUSE), ntfsinfo,
# ntfscluster, ntfsls for images and ground truth; setfattr to mark a
# directory compressed when building tests/images/windows
PKGS="$PKGS libntfs-3g:ntfs-3g-dev"
CMDS="$CMDS mkntfs:ntfs-3g ntfsinfo:ntfs-3g ntfscluster:ntfs-3g ntfsls:ntfs-3g setfattr:attr"

# exFAT ground truth: dump.exfat and fsck.exfat (exfat-fuse, which writes
# the exFAT test image, is needed only to rebuild it)
CMDS="$CMDS dump.exfat:exfatprogs"

# crafted hostile images (tests/images/hostile.py) and exact big numbers;
# make fuzz's coverage report
CMDS="$CMDS python3:python3 llvm-profdata:llvm llvm-cov:llvm"

# VM images: qcow2 compressed clusters (zlib, zstd); vmdk, vhdx, vdi and
# NBD through libnbd and qemu-nbd; qemu-img makes the test images
PKGS="$PKGS zlib:zlib1g-dev libzstd:libzstd-dev libnbd:libnbd-dev"
CMDS="$CMDS qemu-img:qemu-utils qemu-nbd:qemu-utils qemu-io:qemu-utils"

missing=""
for pc in $PKGS; do
	name=${pc%%:*}; pkg=${pc#*:}
	command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "$name" && continue
	missing="$missing $pkg"
done
for c in $CMDS $CMDS2; do
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
