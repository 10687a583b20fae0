/* Image back ends: what turns a path into a disk device.  One table of
 * formats (name, probe by magic, open), in the style of the plugin tables.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_IMAGE_H
#define DA_IMAGE_H

#include "util.h"

/* Backing chains are followed at most this many files below the image
 * given.  qemu has no limit of its own; real chains (external snapshots,
 * incremental backups) run to tens of files, rarely more than a hundred.
 * Each file of a chain holds open two descriptors (its reader and its
 * host view), so 256 keep a whole chain within the usual limit of 1,024
 * open files; and up to its L2 cache, 4 MiB near the top and two tables
 * past the 16th file (qcow2.c): under 100 MiB for a full chain of 64 KiB
 * clusters. */
#define DA_IMAGE_MAX_CHAIN 256

/* The files of a backing chain being opened, to refuse loops: one link a
 * file, each on its opener's stack, pointing up to the file above. */
struct da_image_chain {
	int depth;                 /* 0: the image the user gave */
	unsigned long long dev, ino;
	const char *top;           /* the path of the image the user gave */
	const struct da_image_chain *up;
};

/* The bytes probe_end is given. */
#define DA_IMAGE_TAIL 512

struct da_image_format {
	const char *name;
	/* Is this the start of one of mine?  buf holds the first len bytes of
	 * the file (len may be short).  NULL: never detected (raw). */
	bool (*probe)(const uint8_t *buf, size_t len);
	/* Optional: is this one of mine by its last bytes?  buf holds the
	 * file's last len bytes (DA_IMAGE_TAIL, or the whole of a shorter
	 * file).  Asked only when the format is forced: a raw disk may end
	 * in anything (qemu too detects such images as raw). */
	bool (*probe_end)(const uint8_t *buf, size_t len);
	/* Open path read-only as a disk device named name. */
	struct da_device *(*open)(const char *name, const char *path,
				  const char *format,
				  struct da_image_chain *chain, da_error *err);
	/* Optional: the path of file number link of guest's chain (0: the
	 * image itself, 1: its backing file...) when that file has a host
	 * view; NULL past the last.  guest is what open returned. */
	const char *(*host_path)(struct da_device *guest, int link);
	/* The layout of that file as a node on host (the file opened raw). */
	struct da_node *(*host_view)(struct da_device *guest, int link,
				     struct da_device *host, da_error *err);
	/* Optional: what is wrong with the image file itself (a table that
	 * points past its end), one line; NULL when nothing.  For formats
	 * without a host view: theirs says it as a node's warnings. */
	const char *(*damage)(struct da_device *guest);
};

/* The table, NULL-terminated (src/image/image.c). */
extern const struct da_image_format *const da_image_formats[];

const struct da_image_format *da_image_find(const char *name);
/* The format of the file at path, by magic (raw when nothing matches);
 * NULL with err when the file cannot be read. */
const struct da_image_format *da_image_detect(const char *path,
					      da_error *err);
/* Open path as format (NULL: detected), a link of chain (NULL: the top
 * of a chain).  A forced format that the file is not: one line. */
struct da_device *da_image_open(const char *name, const char *path,
				const char *format,
				struct da_image_chain *chain,
				const struct da_image_format **used,
				da_error *err);
/* Why a file could not be opened (errno e), for one line after its path:
 * a process out of file descriptors says which limit. */
const char *da_image_open_error(int e);
/* Is path an NBD URI (nbd://, nbd+unix://, nbds://...)? */
bool da_image_is_uri(const char *path);

extern const struct da_image_format da_image_raw, da_image_qcow2;
extern const struct da_image_format da_image_vmdk, da_image_vhdx,
	da_image_vdi, da_image_vpc, da_image_qed, da_image_nbd;

#endif
