/* Private: names for contents no plugin understands (libblkid-style magic
 * table), and the emptiness test.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_SIGNATURE_H
#define DA_SIGNATURE_H
#include "diskatlas.h"

/* true and a name in what when a known magic matches */
bool da_signature_match(struct da_device *dev, char *what, size_t len);
/* true when the device is a BitLocker volume (its header, or a To Go
 * volume's FAT boot sector that points to FVE metadata) */
bool da_signature_bitlocker(struct da_device *dev);
/* 1 when the start of the device is all zeros or a hole, 0 when not,
 * -1 on a read error */
int da_signature_is_empty(struct da_device *dev);
/* A FAT boot sector that the FAT plugin refused because the device stops
 * inside its metadata: true, with the bytes it describes in *claimed. */
bool da_signature_cut_fat(struct da_device *dev, uint64_t *claimed);
#endif
