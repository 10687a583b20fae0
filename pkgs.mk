# The libraries the engine links, by pkg-config name: one list for the
# Makefile, the fuzz targets and the sanitizer test (tests/deps.sh names
# the Debian packages that provide them).
ENGINE_PKGS = ext2fs com_err libntfs-3g
# image back ends: qcow2 compressed clusters, and NBD for vmdk, vhdx, vdi
ENGINE_PKGS += zlib libzstd libnbd
# LUKS: the JSON metadata, the volume key, the sector decryption
ENGINE_PKGS += json-c libcryptsetup libcrypto
UI_PKGS = ncursesw
