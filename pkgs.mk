# The libraries the engine links, by pkg-config name: one list for the
# Makefile, the fuzz targets and the sanitizer test (tests/deps.sh names
# the Debian packages that provide them).
ENGINE_PKGS = ext2fs com_err
# Loaded with dlopen only when an image needs them (src/dl.h): their
# headers are needed to build, their start-up cost is not paid by every run.
# NTFS; NBD for vmdk, vhdx, vdi; qcow2 compressed clusters
ENGINE_DL_PKGS = libntfs-3g libnbd zlib libzstd
# LUKS: the JSON metadata, checksums, the volume key, the decryption
ENGINE_DL_PKGS += json-c libcryptsetup libcrypto
# LUKS: serpent and twofish, which OpenSSL lacks
ENGINE_DL_PKGS += libgcrypt
UI_PKGS = ncursesw
