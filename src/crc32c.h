/* CRC-32C (Castagnoli, reflected), the checksum of ext4's metadata_csum
 * and of XFS v5: SSE4.2's crc32 instruction where the processor has it,
 * a table walk eight bytes a step where not.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_CRC32C_H
#define DA_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* crc carried over len bytes, with no inversion before or after (ext4's
 * ext2fs_crc32c_le; XFS starts from ~0 and inverts the result). */
uint32_t da_crc32c(uint32_t crc, const void *buf, size_t len);
/* Whether da_crc32c uses the instruction (x86-64 with SSE4.2), for
 * callers with a faster way of their own on it. */
bool da_crc32c_hw(void);

#endif
