# Sourced by the LUKS tests after tests/lib.sh: encrypting plain files
# with cryptsetup (no device-mapper, no loop device) and reading back what
# cryptsetup itself says about them.
#
#   luks_encrypt FILE KEYFILE [OPTION...]  encrypt FILE in place (LUKS2,
#                                 PBKDF2 with 1000 iterations for speed);
#                                 the data moves behind the header
#   luks_json FILE                --dump-json-metadata of a LUKS2 header
#   luks_vk_hex FILE KEYFILE      the volume key in hex, as luksDump says
#   luks2_rewrite FILE JSONFILE   put JSONFILE's text in both JSON areas and
#                                 make both checksums right again
# SPDX-License-Identifier: GPL-2.0-or-later

luks_encrypt() {
	_f=$1 _k=$2
	shift 2
	cryptsetup reencrypt -q --encrypt --type luks2 --pbkdf pbkdf2 \
		--pbkdf-force-iterations 1000 --key-file "$_k" "$@" "$_f" >"$T/cs.log" 2>&1 ||
		{ cat "$T/cs.log"; fail "cryptsetup reencrypt --encrypt $*"; }
}

luks_json() { cryptsetup luksDump --dump-json-metadata "$1"; }

luks_vk_hex() {
	cryptsetup luksDump -q --dump-volume-key --key-file "$2" "$1" 2>/dev/null |
		sed -n '/^MK dump:/,/^[^ \t]*[^ \t:]*:[^\t]*[^ 0-9a-f\t]/p' |
		sed -e 's/^MK dump://' | grep -E '^[[:space:]0-9a-f]+$' | tr -d ' \t\n'
}

# bytes N at OFFSET of FILE as hex
_hexat() { od -An -tx1 -v -j "$2" -N "$3" "$1" | tr -d ' \n'; }
# write hex string $3 at offset $2 of FILE $1
_puthex() {
	_h=$3 _out=""
	while [ -n "$_h" ]; do
		_b=${_h%"${_h#??}"}
		_h=${_h#??}
		_out="$_out\\$(printf %03o "0x$_b")"
	done
	printf "$_out" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

luks2_rewrite() {
	_f=$1 _j=$2
	_hs=$((0x$(_hexat "$_f" 8 8)))
	for _off in 0 "$_hs"; do
		# the JSON area: the text, then zeros
		dd if=/dev/zero of="$_f" bs=1 seek=$((_off + 4096)) count=$((_hs - 4096)) conv=notrunc status=none
		dd if="$_j" of="$_f" bs=1 seek=$((_off + 4096)) conv=notrunc status=none
		# the checksum: SHA-256 of the whole copy with its csum field zeroed
		dd if=/dev/zero of="$_f" bs=1 seek=$((_off + 448)) count=64 conv=notrunc status=none
		_sum=$(dd if="$_f" bs=4096 skip=$((_off / 4096)) count=$((_hs / 4096)) status=none | sha256sum | cut -c1-64)
		_puthex "$_f" $((_off + 448)) "$_sum"
	done
}
