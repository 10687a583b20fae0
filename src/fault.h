/* A fault-injecting device for tests, as e2fsprogs' test_io: it wraps
 * another device, passes reads through, counts them, can log them, and
 * makes reads that touch chosen byte ranges fail (EIO) or come back short
 * (the bytes before the fault are read, then EIO "short read", what a
 * truncated image gives).  The plugins' error paths are tested through it
 * (tests/unit/test_faults.c).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_FAULT_H
#define DA_FAULT_H

#include "diskatlas.h"

enum da_fault_kind {
	DA_FAULT_EIO,          /* the whole read fails */
	DA_FAULT_SHORT,        /* the read stops where the range begins */
};

/* Reads that touch [start, start+len) fail as kind says. */
struct da_fault_rule {
	uint64_t start, len;
	enum da_fault_kind kind;
};

/* Called for every read that reaches the device (faulty or not). */
typedef void (*da_read_log_fn)(void *arg, uint64_t off, size_t len);

/* The same bytes as parent (same size and block size; map_block is the
 * parent at the same offset), with nrules rules copied (at most 64).
 * Takes a reference on parent. */
struct da_device *da_fault_device_new(struct da_device *parent,
				      const struct da_fault_rule *rules,
				      size_t nrules, da_error *err);
/* Log every read to fn (NULL: stop logging). */
void da_fault_device_log(struct da_device *dev, da_read_log_fn fn,
			 void *arg);
/* Reads seen and faults injected since the device was made. */
void da_fault_device_stats(const struct da_device *dev, uint64_t *reads,
			   uint64_t *faults);

/* The test knob DISKATLAS_TEST_FAULT=START+LEN[,START+LEN...] (bytes,
 * decimal or 0x hex, at most 64 ranges): reads of dev that touch one
 * fail (EIO), for tests of the whole program (the machine puts its first
 * disk behind it).  Without the knob, or when it does not parse, dev
 * itself; else a fault device over dev, which takes dev's reference. */
struct da_device *da_fault_device_from_env(struct da_device *dev);

#endif
