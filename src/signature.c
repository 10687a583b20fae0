/* Signatures of formats that have no plugin yet, so that unknown contents
 * still get a name.  Offsets and magics from each format's specification.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "signature.h"

struct magic {
	const char *name;
	uint64_t offset;
	const char *bytes;
	size_t len;
};

static const struct magic magics[] = {
	{ "LUKS encrypted volume", 0, "LUKS\xba\xbe", 6 },
	{ "XFS filesystem", 0, "XFSB", 4 },
	{ "btrfs filesystem", 65536 + 64, "_BHRfS_M", 8 },
	{ "NTFS filesystem", 3, "NTFS    ", 8 },
	/* BitLocker (Vista, 7 and later): the volume header says -FVE-FS-
	 * where NTFS says NTFS (To Go is found by da_signature_bitlocker) */
	{ "BitLocker encrypted volume", 3, "-FVE-FS-", 8 },
	/* a Windows Storage Spaces pool member: its SPACEDB header starts
	 * the partition (SDBC follows at 4 KiB) */
	{ "Windows Storage Spaces pool member", 0, "SPACEDB ", 8 },
	{ "exFAT filesystem", 3, "EXFAT   ", 8 },
	{ "ISO 9660 filesystem", 32769, "CD001", 5 },
	{ "squashfs filesystem", 0, "hsqs", 4 },
	{ "md RAID member (superblock 1.1)", 0, "\xfc\x4e\x2b\xa9", 4 },
	{ "md RAID member (superblock 1.2)", 4096, "\xfc\x4e\x2b\xa9", 4 },
	{ "bcache device", 4096 + 24,
	  "\xc6\x85\x73\xf6\x4e\x1a\x45\xca\x82\x65\xf5\x7f\x48\xba\x6d\x81", 16 },
	{ "ZFS member", 8192 + 0, "\x0c\xb1\xba\x00\x00\x00\x00\x00", 8 },
	{ "qcow2 image (opened as raw bytes)", 0, "QFI\xfb", 4 },
	{ "VMDK image (opened as raw bytes)", 0, "KDMV", 4 },
	{ "VHDX image (opened as raw bytes)", 0, "vhdxfile", 8 },
	{ "Apple partition map", 512, "PM\0\0", 4 },
	{ "BSD disklabel", 512 + 0, "\x57\x45\x56\x82", 4 },
	{ "F2FS filesystem", 1024, "\x10\x20\xf5\xf2", 4 },
	{ "JFS filesystem", 32768, "JFS1", 4 },
	{ "ReiserFS filesystem", 65536 + 52, "ReIsEr2Fs", 9 },
	{ "HFS+ filesystem", 1024, "H+", 2 },
	{ "UDF filesystem", 32769, "BEA01", 5 },
};

bool da_signature_bitlocker(struct da_device *dev)
{
	uint8_t h[512], fve[8];
	if (dev->size < sizeof(h) ||
	    da_device_read(dev, h, sizeof(h), 0, NULL) < 0)
		return false;
	if (!memcmp(h + 3, "-FVE-FS-", 8))
		return true;
	/* To Go: a FAT boot sector for old readers, with the offset of the
	 * FVE metadata at byte 440 (libblkid's bitlocker.c layout) */
	if (memcmp(h + 3, "MSWIN4.1", 8))
		return false;
	uint64_t off = le64(h + 440);
	return off && range_ok(off, sizeof(fve), dev->size) &&
	       da_device_read(dev, fve, sizeof(fve), off, NULL) == 0 &&
	       !memcmp(fve, "-FVE-FS-", 8);
}

bool da_signature_match(struct da_device *dev, char *what, size_t len)
{
	uint8_t buf[16];
	if (da_signature_bitlocker(dev)) {
		snprintf(what, len, "BitLocker encrypted volume");
		return true;
	}
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
		const struct magic *m = &magics[i];
		if (!range_ok(m->offset, m->len, dev->size))
			continue;
		if (da_device_read(dev, buf, m->len, m->offset, NULL) < 0)
			continue;
		if (memcmp(buf, m->bytes, m->len) == 0) {
			snprintf(what, len, "%s", m->name);
			return true;
		}
	}
	return false;
}

int da_signature_is_empty(struct da_device *dev)
{
	uint8_t buf[4096];
	uint64_t limit = dev->size < 65536 ? dev->size : 65536;
	for (uint64_t off = 0; off < limit;) {
		uint64_t run = 0;
		if (da_device_extent(dev, off, &run) == 0 && run) {
			off += run;
			continue;
		}
		size_t n = limit - off < sizeof(buf) ? (size_t)(limit - off)
						     : sizeof(buf);
		if (da_device_read(dev, buf, n, off, NULL) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (buf[i])
				return 0;
		off += n;
	}
	return 1;
}

bool da_signature_cut_fat(struct da_device *dev, uint64_t *claimed)
{
	uint8_t bs[512];
	if (dev->size < sizeof(bs) ||
	    da_device_read(dev, bs, sizeof(bs), 0, NULL) < 0)
		return false;
	/* the boot sector's own marks: signature, jump, a FAT type name */
	if (bs[510] != 0x55 || bs[511] != 0xAA ||
	    (bs[0] != 0xEB && bs[0] != 0xE9) ||
	    (memcmp(bs + 54, "FAT", 3) && memcmp(bs + 82, "FAT", 3)))
		return false;
	uint32_t bps = le16(bs + 11);
	uint32_t total = le16(bs + 19) ? le16(bs + 19) : le32(bs + 32);
	if (bps < 512 || bps > 4096 || (bps & (bps - 1)) || !total)
		return false;
	*claimed = (uint64_t)total * bps;
	return *claimed > dev->size;
}
