#!/bin/sh
# The optional libraries (libntfs-3g, libnbd, zlib, libzstd, json-c,
# libcrypto, libcryptsetup, libgcrypt) are loaded only when an image needs them, and
# one that is missing is one line naming it and its Debian package, never
# a crash.  DISKATLAS_DL_FAIL makes the loader act as if a library were
# missing.  Each case is first run with the library present (the answer
# differs), so the check can tell a missing library from a broken one.
# Also: the program links none of them (ldd), and --version runs with all
# of them refused.
. "$(dirname "$0")/../lib.sh"
requires qemu-img qemu-nbd cryptsetup ldd jq
cd "$T"

ldd "$DA" >ldd.txt || fail "ldd cannot read the program"
for lib in libntfs-3g libnbd libz.so libzstd libjson-c libcrypto libcryptsetup libgcrypt; do
	grep -q "$lib" ldd.txt && fail "the program links $lib: it should load it when needed"
done
DISKATLAS_DL_FAIL=all "$DA" --version >/dev/null || fail "--version with every optional library refused"

# run NAME ENV ARGS...: $NAME.out, $NAME.err, $NAME.rc
run() {
	rn=$1 env=$2; shift 2
	rc=0
	env $env "$DA" "$@" >"$rn.out" 2>"$rn.err" || rc=$?
	echo "$rc" >"$rn.rc"
	case $rc in 0|1) ;; *) cat "$rn.err" >&2; fail "$rn: exit $rc" ;; esac
	grep -qi 'sanitizer\|segmentation\|abort' "$rn.err" && fail "$rn: crashed"
	return 0
}
# has NAME FILE TEXT: FILE holds TEXT exactly once
has() {
	c=$(grep -cF "$3" "$2" || true)
	[ "$c" = 1 ] || { cat "$2" >&2; fail "$1: '$3' $c times in $2, want once"; }
}

# NTFS: the filesystem becomes an unknown node with the reason
ntfs=$(image ntfs-small)
run ntfs-ok "X=1" --list "$ntfs"
grep -q '^  filesystem ntfs' ntfs-ok.out || fail "NTFS not read with libntfs-3g present"
run ntfs "DISKATLAS_DL_FAIL=libntfs-3g" --list "$ntfs"
has ntfs ntfs.out "unknown  probed=ntfs  (ntfs: NTFS support needs libntfs-3g (Debian: libntfs-3g89))"
check_eq "ntfs exit" "$(cat ntfs.rc)" 0
[ ! -s ntfs.err ] || fail "ntfs: stderr: $(cat ntfs.err)"
run ntfs-lookup "DISKATLAS_DL_FAIL=libntfs-3g" --lookup 64K --json "$ntfs"
grep -q '"unknown"' ntfs-lookup.out || fail "ntfs lookup: no unknown owner"

# vmdk through libnbd: the disk cannot be opened, in one line, exit 1
qemu-img convert -O vmdk "$ntfs" disk.vmdk
run vmdk-ok "X=1" --list disk.vmdk
grep -q '^  filesystem ntfs' vmdk-ok.out || fail "vmdk not read with libnbd present"
run vmdk "DISKATLAS_DL_FAIL=libnbd" --list disk.vmdk
check_eq "vmdk exit" "$(cat vmdk.rc)" 1
check_eq "vmdk stderr" "$(cat vmdk.err)" \
	"diskatlas: disk.vmdk: vmdk, vhdx, vdi, vpc, qed images and NBD URIs need libnbd (Debian: libnbd0)"

# compressed qcow2 clusters: zlib and libzstd
qemu-img convert -c -O qcow2 "$ntfs" z.qcow2
qemu-img convert -c -O qcow2 -o compression_type=zstd "$ntfs" zs.qcow2
for f in z:libz:"compressed qcow2 clusters need zlib (Debian: zlib1g)" \
	 zs:libzstd:"zstd-compressed qcow2 clusters need libzstd (Debian: libzstd1)"; do
	n=${f%%:*} rest=${f#*:}; lib=${rest%%:*} line=${rest#*:}
	run "$n-ok" "X=1" --list "$n.qcow2"
	grep -q '^  filesystem ntfs' "$n-ok.out" || fail "$n.qcow2 not read with $lib present"
	run "$n" "DISKATLAS_DL_FAIL=$lib" --list "$n.qcow2"
	has "$n" "$n.out" "$line"
	grep -q "^  filesystem" "$n.out" && fail "$n: a filesystem read without $lib"
done

# LUKS2: json-c for its metadata, libcrypto for its checksums and
# sectors, libcryptsetup for the volume key
truncate -s 20M luks.img
printf 'dl-missing' >key
cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
	--key-file key luks.img
run luks-ok "X=1" --key-file key --list luks.img
grep -q 'state=unlocked' luks-ok.out || fail "LUKS not unlocked with the libraries present"
grep -q 'not checked' luks-ok.out && fail "LUKS checksums not checked with libcrypto present"
run json "DISKATLAS_DL_FAIL=libjson-c" --list luks.img
has json json.out "warning: LUKS2 metadata needs json-c (Debian: libjson-c5)"
run crypto "DISKATLAS_DL_FAIL=libcrypto" --key-file key --list luks.img
has crypto crypto.out "warning: LUKS2 header checksums not checked: LUKS needs libcrypto (Debian: libssl3)"
has crypto crypto.err "cannot be unlocked: LUKS needs libcrypto (Debian: libssl3)"
grep -q 'state=locked' crypto.out || fail "crypto: not shown locked"
run cs "DISKATLAS_DL_FAIL=libcryptsetup" --key-file key --list luks.img
has cs cs.err "cannot be unlocked: unlocking LUKS needs libcryptsetup (Debian: libcryptsetup12)"
check_eq "cryptsetup stderr lines" "$(wc -l <cs.err)" 1
grep -q 'state=locked' cs.out || fail "cryptsetup: not shown locked"
grep -q 'not checked' cs.out && fail "cryptsetup: checksums not checked with libcrypto present"

# serpent (and twofish): libgcrypt, asked for only by those ciphers.  The
# segment is renamed: the data is not serpent's, but it need not be to be
# unlocked, and then to be refused without libgcrypt.
. "$IMAGES/luks-env.sh"
cp luks.img serpent.img
luks_json serpent.img | jq -c '.segments["0"].encryption = "serpent-xts-plain64"' >serpent.json
luks2_rewrite serpent.img serpent.json
run serpent-ok "X=1" --key-file key --list serpent.img
grep -q 'state=unlocked' serpent-ok.out || fail "serpent not unlocked with libgcrypt present"
run serpent "DISKATLAS_DL_FAIL=libgcrypt" --key-file key --list serpent.img
has serpent serpent.err "(serpent-xts-plain64) cannot be unlocked: serpent and twofish need libgcrypt (Debian: libgcrypt20)"
check_eq "libgcrypt stderr lines" "$(wc -l <serpent.err)" 1
grep -q 'state=locked' serpent.out || fail "libgcrypt: not shown locked"
run aes-nogcrypt "DISKATLAS_DL_FAIL=libgcrypt" --key-file key --list luks.img
grep -q 'state=unlocked' aes-nogcrypt.out || fail "aes needs libgcrypt"
exit 0
