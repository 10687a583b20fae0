/* diskatlas — the engine's public interface.
 *
 * The C form of the diskimage interface of the OCaml virt-df: devices with
 * map_block and contiguous, a machine of named disks, a plugin scan, an
 * ownership index with a fast owners lookup, and used/free bitmaps.
 * docs/architecture.md maps the original names to these.
 *
 * Conventions: sizes and offsets are uint64_t bytes.  Functions that can fail
 * return 0 (or a count) on success and -1 on failure, filling a da_error with
 * one line saying what and where.  The engine never prints (except the
 * --debug trace) and never writes to a disk.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DISKATLAS_H
#define DISKATLAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DA_VERSION "0.1.0"

/* ---- errors ---------------------------------------------------------- */

typedef struct da_error {
	int code;              /* an errno value, or 0 */
	char msg[512];         /* one line: what and where */
} da_error;

/* Fill err (if not NULL) with a printf-style message; returns -1. */
int da_error_set(da_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Out of memory where the engine cannot go on (a small fixed-size
 * structure, a name): runs the handler given to da_set_oom_handler (the
 * explorer gives back the terminal there), writes one line on stderr and
 * exits with status 1.  Never returns, never aborts. */
void da_out_of_memory(void) __attribute__((noreturn));
void da_set_oom_handler(void (*fn)(void));

/* The --debug trace: when set, probes and reads are traced on stderr. */
extern int da_debug;
void da_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- devices --------------------------------------------------------- */

struct da_device;

/* Where a byte of one device lives on another (map_block's answer). */
struct da_target {
	struct da_device *dev;
	uint64_t offset;
};

/* Where a byte of one member of a striped device lies in the device
 * (ops->unmap): the inverse of map_block, for the ownership index. */
struct da_unmapped {
	char what;                 /* 'D' data, 'P' or 'Q' parity */
	uint64_t off;              /* data: the byte's offset in the device */
	uint64_t run;              /* bytes from the member offset that stay
				      so (linear, or parity): to its chunk's end */
	uint64_t row_start, row_end;  /* the device's bytes whose chunks lie in
				      the same row of members (a stripe) */
	uint64_t data;             /* of the len bytes asked about, how many
				      hold the device's data (not parity) */
	uint64_t period;           /* the layout repeats every period bytes
				      of the device (0: too long to say) */
};

/* A read-only view of a device's bytes without a copy (da_device_view). */
struct da_view {
	const uint8_t *p;          /* the bytes asked for */
	void *base;                /* what da_device_unview releases */
	size_t maplen;
};

struct da_device_ops {
	/* Read len bytes at off.  A read that does not lie entirely inside
	 * [0, size) fails (EINVAL for past the end); so does an I/O error
	 * (EIO).  Bytes that map nowhere (a missing PV) fail with ENXIO. */
	int (*read)(struct da_device *dev, void *buf, size_t len, uint64_t off,
		    da_error *err);
	/* Where the byte at off lives one layer down.  Writes up to max
	 * targets and returns how many exist (a mirror has several; a disk,
	 * the bottom of every stack, has none; a missing PV gives 0). */
	int (*map_block)(struct da_device *dev, uint64_t off,
			 struct da_target *out, int max);
	/* How many bytes from off (at least 1 when off < size) stay linear
	 * under map_block: off+k maps to target+k for every target. */
	uint64_t (*contiguous)(struct da_device *dev, uint64_t off);
	/* Optional: is off in data (1) or in a hole (0)?  *run gets how many
	 * bytes from off share that answer.  NULL means "all data". */
	int (*extent)(struct da_device *dev, uint64_t off, uint64_t *run);
	/* Free the private state (not the children: see da_device_unref). */
	void (*close)(struct da_device *dev);
	/* Optional: v->p points at bytes [off, off+len) without a copy (a
	 * mapping of an image file); 0, or -1 when the device cannot (the
	 * caller then reads).  NULL means "never". */
	int (*view)(struct da_device *dev, uint64_t off, size_t len,
		    struct da_view *v);
	/* Optional pair, for a device that spreads itself over its targets
	 * a chunk at a time (stripes, parity RAID): the ownership index then
	 * keeps the device's owners in an index of its own address space,
	 * and one claim a member on the disks, so that neither grows with
	 * the number of chunks.  member: target i's area, at->dev from
	 * at->offset for *len bytes; 1, 0 for a missing member, -1 past the
	 * last.  unmap: byte off of member i's target device (inside its
	 * area) in this device, and in u->data how many of [off, off+len)
	 * hold data; 0, or -1 when off is outside the area. */
	int (*member)(struct da_device *dev, size_t i, struct da_target *at,
		      uint64_t *len);
	int (*unmap)(struct da_device *dev, size_t i, uint64_t off,
		     uint64_t len, struct da_unmapped *u);
};

struct da_device {
	const struct da_device_ops *ops;
	char *name;            /* "disk.img", "disk.img/p1", "vg/lv" */
	uint64_t size;         /* bytes */
	uint32_t block_size;   /* natural block size, bytes (512 for disks) */
	bool is_disk;          /* the bottom of a stack: a file or host device */
	int refcount;
	void *priv;
	struct da_holemap *holes;  /* da_device_hole_bytes's cache */
};

int da_device_read(struct da_device *dev, void *buf, size_t len, uint64_t off,
		   da_error *err);
int da_device_map_block(struct da_device *dev, uint64_t off,
			struct da_target *out, int max);
uint64_t da_device_contiguous(struct da_device *dev, uint64_t off);
/* 1 data, 0 hole; *run as for ops->extent. */
int da_device_extent(struct da_device *dev, uint64_t off, uint64_t *run);
/* Bytes of [off, off+len) never written (holes, per the extent op).
 * cached: from the device's hole map (src/holemap.c), learnt once and
 * kept, O(log runs) a question; else a direct walk of at most 64 extent
 * calls (the slow path the cache is tested against). */
uint64_t da_device_hole_bytes(struct da_device *dev, uint64_t off,
			      uint64_t len, bool cached);
/* Bytes [off, off+len) of dev in place, read-only, for a reader of large
 * tables (an inode table) that would otherwise copy them: 0 with v->p set
 * until da_device_unview(v), or -1 (not inside the device, or a device
 * that gives no views: read instead).  Only a regular image file gives
 * views; a read error there would be a fault, not an error, which is why
 * devices that may fail a read (host block devices, NBD, fault injection)
 * give none.  An image file that shrinks while a view is held ends the
 * process with SIGBUS: images are read-only and assumed to stay put. */
int da_device_view(struct da_device *dev, uint64_t off, size_t len,
		   struct da_view *v);
void da_device_unview(struct da_view *v);

/* Learn dev's hole map on by at most calls extent calls: true once all of
 * it is known (cached answers then cost no extent call at all), or when
 * there is nothing to learn (no extent op, a map that gave up). */
bool da_device_holes_learn(struct da_device *dev, unsigned calls);
struct da_device *da_device_ref(struct da_device *dev);
void da_device_unref(struct da_device *dev);

/* A disk: an image file or host block device, opened O_RDONLY. */
struct da_device *da_file_device_open(const char *name, const char *path,
				      da_error *err);
/* A linear slice [start, start+size) of parent (partitions).  Takes a
 * reference on parent. */
struct da_device *da_offset_device_new(const char *name,
				       struct da_device *parent,
				       uint64_t start, uint64_t size,
				       da_error *err);
/* The same bytes as parent with another natural block size. */
struct da_device *da_blocksize_overlay_new(struct da_device *parent,
					   uint32_t block_size, da_error *err);

/* One piece of a linear device: bytes [start, start+len) of the new device
 * are bytes [target_off, ...) of target (NULL target: missing, unmapped). */
struct da_linear_seg {
	uint64_t start, len;
	struct da_device *target;
	uint64_t target_off;
};
/* Segments must be sorted, non-overlapping and cover [0, size). */
struct da_device *da_linear_device_new(const char *name, uint64_t size,
				       const struct da_linear_seg *segs,
				       size_t nsegs, da_error *err);
/* Striped over n stripes: chunk k goes to stripe k % n at
 * stripe_off[k % n] + (k / n) * stripe_size.  NULL stripes are missing. */
struct da_device *da_striped_device_new(const char *name, uint64_t size,
					uint64_t stripe_size, size_t nstripes,
					struct da_device *const *stripes,
					const uint64_t *stripe_off,
					da_error *err);
/* n identical copies; reads come from the first present copy, map_block
 * returns every copy. */
struct da_device *da_mirror_device_new(const char *name, uint64_t size,
				       size_t ncopies,
				       struct da_device *const *copies,
				       const uint64_t *copy_off, da_error *err);

/* An md RAID10 or RAID4/5/6 array over n members (md's own numbers:
 * layout as the superblock stores it, chunk and dev_size in bytes, the
 * part of each member's data area the array uses). */
struct da_raid_geom {
	int level;             /* 4, 5, 6 or 10 */
	uint32_t layout;
	uint64_t chunk;
	uint64_t dev_size;
	size_t n;
};
/* Does the device below know this level and layout? */
bool da_raid_layout_ok(int level, uint32_t layout, size_t n);
/* 'P', 'Q' or 'D': what member's chunk number stripe holds (parity
 * levels; 'D' for any other). */
int da_raid_chunk_role(int level, uint32_t layout, size_t n, size_t member,
		       uint64_t stripe);
/* The array's bytes, mapped as md does: RAID10's map_block returns every
 * copy (near, far and offset layouts, far sets); RAID4/5/6 map a data
 * byte to its member through the parity rotation (parity chunks are
 * mapped by no array byte).  NULL members are missing: RAID10 reads
 * another copy, RAID4/5 (and RAID6 with P) rebuild a lost data chunk as
 * the XOR of the rest of its stripe, RAID6 without P or without a second
 * data chunk solves it from Q; a read past what is left fails (ENXIO).
 * The array's size is written to *size. */
struct da_device *da_raid_device_new(const char *name,
				     const struct da_raid_geom *g,
				     struct da_device *const *members,
				     const uint64_t *member_off,
				     uint64_t *size, da_error *err);

/* Where the parity of the byte at off of a RAID4/5/6 device lives (P,
 * then Q for RAID6; members present only), with which[k] 'P' or 'Q';
 * 0 for any other device. */
int da_raid_parity(struct da_device *dev, uint64_t off, struct da_target *out,
		   char *which, int max);
/* The same as bytes of m's disks: each parity target followed down
 * through map_block (its first target at each level) to a disk of m.
 * Returns how many were found (at most max, at most 2). */
struct da_machine;
struct da_location;
int da_raid_parity_on_disks(const struct da_machine *m, struct da_device *dev,
			    uint64_t off, struct da_location *out, char *which,
			    int max);

/* ---- values: what --list describes, as a small JSON tree ------------- */

enum da_value_type { DA_V_NULL, DA_V_BOOL, DA_V_INT, DA_V_STR, DA_V_ARR,
		     DA_V_OBJ };

struct da_value {
	enum da_value_type type;
	bool uns;                  /* DA_V_INT: i's 64 bits are unsigned (a
				      size, an offset, an LBA: 2^63 and over
				      print as such, never negative) */
	union {
		bool b;
		int64_t i;
		char *s;
		struct { struct da_value **v; char **keys; size_t n, cap; } c;
	} u;
};

struct da_value *da_obj_new(void);
struct da_value *da_arr_new(void);
struct da_value *da_str_new(const char *s);
struct da_value *da_int_new(int64_t i);
struct da_value *da_uint_new(uint64_t u);
struct da_value *da_bool_new(bool b);
/* Set key (replacing an existing one); obj takes ownership of v. */
void da_obj_set(struct da_value *obj, const char *key, struct da_value *v);
void da_obj_set_str(struct da_value *obj, const char *key, const char *s);
void da_obj_set_int(struct da_value *obj, const char *key, int64_t i);
void da_obj_set_uint(struct da_value *obj, const char *key, uint64_t u);
void da_obj_set_bool(struct da_value *obj, const char *key, bool b);
/* Set key's integer; where key is already an integer, in place with one
 * atomic store, so that a reader on another thread sees the old value or
 * the new one, never a container that moved (a settle fills the props
 * its scan or a deferring machine made for it: da_plugin.settle_props). */
void da_obj_fill_int(struct da_value *obj, const char *key, int64_t i);
/* An integer value's i, read as da_obj_fill_int writes it. */
int64_t da_value_int(const struct da_value *v);
void da_arr_push(struct da_value *arr, struct da_value *v);
struct da_value *da_obj_get(const struct da_value *obj, const char *key);
void da_value_free(struct da_value *v);

/* ---- the scan tree --------------------------------------------------- */

enum da_node_type {
	DA_NODE_EMPTY,         /* all zeros where we looked */
	DA_NODE_UNKNOWN,       /* nothing recognised (see reason) */
	DA_NODE_PARTITIONS,
	DA_NODE_FILESYSTEM,
	DA_NODE_LVM2_PV,
	DA_NODE_MD_MEMBER,
	DA_NODE_LUKS,
	DA_NODE_SWAP,
	DA_NODE_IMAGE,         /* an image file's own layout (qcow2 host view) */
};
const char *da_node_type_name(enum da_node_type t);

/* A region of a node's own address space with a role, e.g. a partition
 * table's own sectors ("gpt_header", "mbr"), an LVM PV's "metadata" area.
 * A region with a slot >= 0 is the space of that child slot (role
 * "partition"). */
struct da_region {
	uint64_t start, len;
	const char *role;      /* static string */
	int slot;              /* index into node->slots, or -1 */
};

struct da_node;

/* A child of a node: a partition, or any other sub-device. */
struct da_slot {
	struct da_value *props;    /* number, name, start, size, type, ... */
	struct da_device *dev;     /* owned reference; NULL if not a device */
	struct da_node *content;   /* what the scan found on dev */
	int nest;                  /* extra depth: a logical inside extended */
	char *kind;                /* owner kind: "partition" */
	bool container;            /* holds other slots of the same table (an
				      extended partition): not scanned */
};

/* What a plugin found on a device. */
struct da_node {
	enum da_node_type type;
	const struct da_plugin *plugin;   /* NULL for empty/unknown */
	struct da_device *dev;            /* the device it is on (a ref) */
	char *reason;                     /* unknown: why; else a warning */
	struct da_value *props;           /* type-specific: label, uuid... */
	struct da_slot *slots;
	size_t nslots;
	struct da_region *regions;
	size_t nregions;
	int depth;                        /* set by the ownership build */
	void *priv;                       /* plugin state */
	/* the shared file index (src/fileindex.h), published once by
	 * da_fi_publish: read it with da_fi_get */
	struct da_fileindex *files;
};

/* Helpers for plugins building a node. */
struct da_node *da_node_new(enum da_node_type type,
			    const struct da_plugin *plugin,
			    struct da_device *dev);
int da_node_add_region(struct da_node *n, uint64_t start, uint64_t len,
		       const char *role, int slot);
/* A filesystem or swap area says its block size once: the node's space
 * becomes a block-size overlay of its device, so that every layer above
 * (block numbers, the explorer's finest zoom) reads it from the space.
 * On a whole disk the overlay is made even for the disk's own block
 * size: the filesystem's space is then never the disk itself.
 * -1 when bs is not a power of two (the space is left as it was). */
int da_node_set_block_size(struct da_node *n, uint32_t block_size);
/* Adds a slot; takes ownership of props and of the device reference. */
struct da_slot *da_node_add_slot(struct da_node *n, const char *kind,
				 struct da_value *props,
				 struct da_device *dev);
void da_node_set_reason(struct da_node *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A settle's space props, filled in place (da_obj_fill_int): clusters of
 * unit bytes, free of them free: free_clusters, used and free. */
void da_node_fill_space(struct da_node *n, uint64_t clusters, uint64_t free,
			uint64_t unit);
/* A warning goes into props.warnings (once, at most 32) and the first
 * one into reason. */
void da_warn(struct da_node *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void da_node_free(struct da_node *n);

/* ---- the role vocabulary (src/roles.c) ------------------------------- */

/* Every role a plugin gives a region, a block or a run is declared once,
 * in src/roles.c, with its class, a one-line explanation for people and a
 * colour family; the report, the summaries and the explorer ask there.
 * Regions and block answers carry the role's name (a static string);
 * da_role_by_name turns it back into this enum. */
enum da_role_class {
	DA_RC_DATA,            /* what users stored: file contents */
	DA_RC_METADATA,        /* structures that describe the data */
	DA_RC_FREE,            /* inside a format, not in use */
	DA_RC_UNALLOCATED,     /* outside every owner at this layer */
	DA_RC_BOOKKEEPING,     /* reserved, padding, bad, leaked */
	DA_RC_REDUNDANCY,      /* mirror copies, parity, backups */
};

/* Colour families: what the map and the legend use to tell structures
 * apart (one hue a family, a shade an owner). */
enum da_role_family {
	DA_FAM_DATA,           /* file contents, a partition's space */
	DA_FAM_DIRECTORY,      /* directories, indexes of names */
	DA_FAM_HEADER,         /* superblocks, headers, boot sectors */
	DA_FAM_TABLE,          /* descriptors, partition entries, maps */
	DA_FAM_ALLOC,          /* allocation bitmaps and trees */
	DA_FAM_INODES,         /* inode tables, MFT */
	DA_FAM_JOURNAL,        /* journals and logs */
	DA_FAM_VOLUME,         /* volume metadata: LVM, md, LUKS, qcow2 */
	DA_FAM_REDUNDANCY,     /* mirrors, parity, backup copies */
	DA_FAM_OPAQUE,         /* swap, encrypted or unreadable data */
	DA_FAM_FREE,
	DA_FAM_UNALLOCATED,
	DA_FAM_BAD,            /* bad, lost, leaked, conflicts */
};

enum da_role {
	DA_ROLE_NONE = 0,
#define DA_ROLE(id, name, cls, fam, text) DA_ROLE_##id,
#include "roles.def"
#undef DA_ROLE
	DA_ROLE_COUNT
};

struct da_role_info {
	const char *name;          /* "superblock": what --lookup prints */
	enum da_role_class cls;
	enum da_role_family family;
	const char *text;          /* one line for people */
};

/* The role by number; NULL for DA_ROLE_NONE or out of range. */
const struct da_role_info *da_role(enum da_role r);
/* The role of a name; DA_ROLE_NONE when it is not declared (a bug). */
enum da_role da_role_by_name(const char *name);
/* The name of a role (a static string), NULL for DA_ROLE_NONE. */
const char *da_role_name(enum da_role r);
const char *da_role_class_name(enum da_role_class c);

/* ---- the units a format counts in (src/units.c) -------------------- */

/* Where byte off of node n's space lies in the unit its format counts
 * in: an ext block group, a FAT/exFAT/NTFS cluster (numbered as the
 * format numbers them), an LVM PV's physical extent.  -1 when n has no
 * such unit or off lies before the first one (or, in a PV, past the last
 * of its pe_count extents). */
struct da_unit_at {
	const char *name;          /* "group", "cluster", "PE" */
	int64_t number;
	uint64_t size;             /* bytes a unit */
	uint64_t offset;           /* of off inside its unit */
};
int da_node_unit(const struct da_node *n, uint64_t off, struct da_unit_at *out);

/* What a file of a filesystem is (src/fileindex.h). */
enum da_file_kind {
	DA_FILE_REGULAR,
	DA_FILE_DIR,
	DA_FILE_SYMLINK,
	DA_FILE_OTHER,         /* device, fifo, socket */
	DA_FILE_META,          /* the filesystem's own: journal, $MFT */
};

/* ---- what a filesystem says about one of its blocks ------------------ */

struct da_block_info {
	const char *role;          /* "superblock", "file_data", "free"... */
	int64_t block;             /* filesystem block number, or -1 */
	int64_t inode;             /* owning inode/file id, or -1 */
	char path[1024];           /* owning file's path, or "" ("/…/b/c"
				      when longer) */
	int64_t file_offset;       /* byte of the file at off, or -1 */
	uint32_t nlinks;           /* >1 for a hard-linked file */
	uint32_t nshared;          /* other files legally sharing (reflink) */
	char governs[160];         /* what a metadata block describes:
				      "inodes 8193-8208 of group 1", or "" */
	bool conflict;             /* several files claim this block */
	bool indexing;             /* file index not built yet */
};

/* A role and the bytes of a range it has (a plugin's range_roles). */
struct da_role_bytes {
	const char *role;
	uint64_t bytes;
};

/* Used/free/metadata bytes of a range, for the map's fullness. */
struct da_usage {
	uint64_t used, free, metadata;
	/* not read yet: the filesystem's settle (below) has not run */
	uint64_t pending;
};
/* For a plugin's usage op: *out zeroed, and the end of [off, off+len)
 * clipped to the node's device (at most off when nothing is left). */
uint64_t da_usage_start(const struct da_node *n, uint64_t off, uint64_t len,
			struct da_usage *out);
/* The bytes of [*off, end) that lie below limit added to *bytes, and *off
 * moved past them. */
void da_usage_below(uint64_t *bytes, uint64_t *off, uint64_t end,
		    uint64_t limit);
struct da_bitmap;
/* The rest of [off, end) for a filesystem whose space past its metadata
 * is a heap of clusters of cs bytes from heap_off to heap_end (FAT,
 * exFAT): the heap's bytes used or free as the bitmap used says (pending
 * while used is NULL: not read yet), anything past the heap free. */
void da_usage_heap(struct da_usage *out, uint64_t off, uint64_t end,
		   uint64_t heap_off, uint64_t heap_end,
		   const struct da_bitmap *used, uint64_t cs);

/* ---- plugins --------------------------------------------------------- */

enum da_layer { DA_LAYER_PART, DA_LAYER_VOL, DA_LAYER_FS };
enum da_probe { DA_PROBE_NOT_MINE = 0, DA_PROBE_FOUND = 1,
		DA_PROBE_ERROR = -1 };

struct da_machine;

struct da_plugin {
	const char *name;          /* "gpt", "mbr", "lvm2", "ext", "fat"... */
	enum da_layer layer;
	/* Is this device mine?  Cheap: read a few sectors. */
	enum da_probe (*probe)(struct da_device *dev, da_error *err);
	/* Parse the device into a node (slots with child devices, regions,
	 * props).  NULL with err set: found but does not parse. */
	struct da_node *(*scan)(struct da_device *dev, da_error *err);
	/* Volume layers: after every disk is scanned, build the logical
	 * devices (LVs, arrays) from the nodes found.  Returns how many new
	 * volumes it added with da_machine_add_volume. */
	int (*assemble)(struct da_machine *m, da_error *err);
	/* Filesystems: build the block -> file index (may be slow). */
	int (*build_index)(struct da_node *n, da_error *err);
	/* Filesystems: role, block, inode, path of the byte at off. */
	int (*describe_block)(struct da_node *n, uint64_t off,
			      struct da_block_info *out);
	/* Filesystems: used/free/metadata bytes in [off, off+len). */
	int (*usage)(struct da_node *n, uint64_t off, uint64_t len,
		     struct da_usage *out);
	/* Extents of the file that owns off (for n/N): the start of the next
	 * (dir > 0) or previous (dir < 0) extent of the same file, in the
	 * node's space; -1 when none. */
	int64_t (*file_next_extent)(struct da_node *n, uint64_t off, int dir);
	/* First byte of the file whose path contains name; -1 if none. */
	int64_t (*find_file)(struct da_node *n, const char *name,
			     char *path_out, size_t path_len);
	void (*free)(struct da_node *n);
	/* Formats whose members carry their data from byte 0 (md 0.90 and
	 * 1.0: the superblock is at the end): probed before every table,
	 * and when this one says found no other plugin is asked, so the
	 * filesystem a member carries is not taken for its own format. */
	bool probe_first;
	/* Images: the byte of another disk that byte off of the node's space
	 * holds (a qcow2 data cluster holds a guest byte).  Writes that disk's
	 * device and offset; -1 when off holds none.  Lookups follow it. */
	int (*through)(struct da_node *n, uint64_t off, struct da_device **dev,
		       uint64_t *dev_off);
	/* Filesystems, optional: the role describe_block gives the block at
	 * off when usage counts that block as metadata, else NULL; without
	 * the file and the text describe_block gathers (the map asks it of
	 * thousands of cells a frame).  The role is a static string. */
	const char *(*meta_role)(struct da_node *n, uint64_t off);
	/* Filesystems, optional: the roles of [off, off+len) of the node's
	 * space at once, exactly what describe_block says block by block
	 * (the side pane asks it of a whole cell, --lookup START-END of any
	 * range): each role with its bytes, in the order the range first
	 * shows them, written to out.  How many; -1 when it cannot answer
	 * exactly (more than max roles, a walk past its bounds): the
	 * caller then asks describe_block.  Roles are static strings. */
	int (*range_roles)(struct da_node *n, uint64_t off, uint64_t len,
			   struct da_role_bytes *out, int max);
	/* Filesystems, optional: the part of the scan that grows with the
	 * filesystem (ext: one pass over every group descriptor), which
	 * scan leaves undone.  da_machine_scan runs it at once unless the
	 * machine defers it (da_machine.defer_settle: then
	 * da_machine_settle, from another thread, while the node is read).
	 * Until it has run, usage counts the bytes as pending, meta_role
	 * answers NULL and describe_block the role "unread"; the plugin
	 * publishes its results with one release store, and its warnings
	 * go onto the node (whose props already hold a "warnings" array
	 * when deferred).  Calling it again answers as the first call.
	 * 0, or -1 with err: what the pass could not read (ext: a
	 * descriptor block), which the machine, deferred or not, makes
	 * a warning on the node: the node stays a filesystem. */
	int (*settle)(struct da_node *n, da_error *err);
	/* With settle, optional: the integer props it fills (NULL-ended;
	 * NTFS: used and free, which $Bitmap gives).  Each is -1 (not
	 * known) until settle fills it: the scan may make them so in the
	 * order it wants them, and a machine that defers settle makes the
	 * others after the scan, so that settle only fills them in place
	 * (da_obj_fill_int) while the explorer reads the props.  One that
	 * stays -1 (settle failed, or a count with nothing to count) is
	 * left out of --list. */
	const char *const *settle_props;
};

/* Questions any filesystem with a file index answers (src/fileindex.c;
 * plugins need no hooks for them).  The start of the next (dir > 0) or
 * previous (dir < 0) extent, in disk order, of the file that owns byte
 * off of n's space; -1 when there is none or the index is not built. */
int64_t da_fs_next_extent(const struct da_node *n, uint64_t off, int dir);
/* The files of n whose path matches pattern (a substring, or a glob with
 * * ? [...]; the filesystem's case rule): how many match, and for the
 * first one that has bytes on disk its first byte (*first_off) and path.
 * -1 while n's index is not built (or n has none). */
long da_fs_find(const struct da_node *n, const char *pattern,
		uint64_t *first_off, char *path_out, size_t path_len);

/* The plugin tables, NULL-terminated, in order of specificity. */
extern const struct da_plugin *const da_part_plugins[];
extern const struct da_plugin *const da_vol_plugins[];
extern const struct da_plugin *const da_fs_plugins[];

/* ---- the machine ----------------------------------------------------- */

struct da_disk {
	char *name;
	char *path;
	char *format;              /* "raw", "qcow2", "vmdk", "nbd", "host"... */
	struct da_device *dev;
	struct da_node *content;
};

/* An assembled logical device: an LV ("vg/lv"), an md array. */
struct da_volume {
	char *name;
	char *kind;                /* "lv", "md_array" */
	struct da_device *dev;
	struct da_value *props;    /* segments, uuid, ... */
	struct da_node *content;
};

struct da_machine {
	char *name;
	struct da_disk *disks;
	size_t ndisks;
	struct da_volume *volumes;
	size_t nvolumes;
	bool scanned;
	/* Progress of da_machine_build_indexes, readable from another
	 * thread with __atomic_load_n: filesystems indexed / to index. */
	int index_done, index_total;
	/* Set before da_machine_scan: the filesystems' settle waits for
	 * da_machine_settle (the explorer draws first, then settles in the
	 * background).  settle_done counts settle calls made, readable with
	 * __atomic_load_n from another thread. */
	bool defer_settle;
	int settle_done;
	/* Problems found with the disks themselves, one line each, for the
	 * CLI to report (and exit 1): a structure that reaches past the end
	 * of its device, at most one line a disk or volume. */
	char **problems;
	size_t nproblems;
	/* Where keys for locked volumes come from (da_machine_set_key_source);
	 * NULL: volumes stay locked. */
	int (*key_fn)(void *arg, const char *volume, char *buf, size_t max);
	void *key_arg;
};

/* Open the named disks.  specs are "PATH" or "NAME=PATH"; the default
 * name is the file's base name; formats are detected (as
 * da_machine_open_disks with no format).  NULL with err on failure
 * (missing file, directory, permission, empty file). */
struct da_machine *da_machine_open(const char *name, const char *const *specs,
				   size_t nspecs, da_error *err);
/* One disk to open: path (an image file, a block device or an NBD URI),
 * its name (NULL: the file's base name) and its image format (NULL or
 * "auto": detected by magic, raw when nothing matches). */
struct da_disk_spec {
	const char *name;
	const char *path;
	const char *format;
};
/* Open the disks.  A qcow2 disk brings one more disk after all the given
 * ones: its image file itself ("NAME@host", format "host"), whose content
 * is the file's own layout.  NULL with err on failure, including a format
 * forced that the file is not. */
struct da_machine *da_machine_open_disks(const char *name,
					 const struct da_disk_spec *specs,
					 size_t nspecs, da_error *err);
/* The image formats --format accepts, NULL-terminated. */
const char *const *da_image_format_names(void);

/* Probe every disk with the plugin tables, recurse into what is found,
 * assemble volumes and scan them.  Cannot fail: what does not parse (or
 * cannot be read) becomes an unknown node with its reason, or a problem
 * of the machine.  Scanning twice does nothing. */
void da_machine_scan(struct da_machine *m);
/* After the scan, volumes added since (da_luks_unlock) are scanned and
 * what they hold assembled (a VG on an unlocked LUKS volume), as
 * da_machine_scan does.  Returns how many volumes assembly added. */
int da_machine_rescan(struct da_machine *m);
/* Build every filesystem's file index (the slow part).  Cannot fail: a
 * filesystem whose index fails keeps the reason on its node and still
 * answers metadata roles. */
void da_machine_build_indexes(struct da_machine *m);
/* Run every filesystem's settle not yet run (see da_plugin.settle); one
 * that fails keeps its node and says why in a warning.  Built into
 * da_machine_build_indexes, which settles first. */
void da_machine_settle(struct da_machine *m);
void da_machine_close(struct da_machine *m);

/* Record a problem with a disk (see da_machine.problems). */
void da_machine_add_problem(struct da_machine *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* For volume plugins' assemble: takes ownership of dev and props. */
struct da_volume *da_machine_add_volume(struct da_machine *m,
					const char *name, const char *kind,
					struct da_device *dev,
					struct da_value *props);
/* Every node of the machine, depth first (disks, then volumes). */
typedef void (*da_node_fn)(struct da_node *n, void *arg);
void da_machine_each_node(struct da_machine *m, da_node_fn fn, void *arg);
/* For a volume plugin's assemble: the machine's nodes that plugin found
 * (with their priv), in the walk's order, at most max of them; free v. */
struct da_node_list {
	struct da_node **v;
	size_t n;
};
struct da_node_list da_machine_nodes_of(struct da_machine *m,
					const struct da_plugin *plugin,
					size_t max);

/* The scan tree as people read it (--list, the explorer's tree): each
 * disk, then its content node, then each slot of a node followed by its
 * content, depth first; then each volume and its content.  depth is 0 for
 * a disk or a volume and grows by one a level (a disk's content 1, its
 * partitions 2, what they hold 3).  A disk's or volume's content that was
 * not scanned is a node item with node NULL; a slot without content has
 * no node item.  disk (or volume) and index name the root of every item.
 * fn returns nonzero to stop the walk. */
enum da_tree_type { DA_TREE_DISK, DA_TREE_VOLUME, DA_TREE_NODE,
		    DA_TREE_SLOT };
struct da_tree_item {
	enum da_tree_type type;
	int depth;
	const struct da_disk *disk;        /* the root: a disk, */
	const struct da_volume *volume;    /* or a volume */
	size_t index;                      /* of that disk or volume */
	const struct da_node *node;        /* NODE (NULL: not scanned) */
	const struct da_node *parent;      /* SLOT: the node it is a slot of */
	const struct da_slot *slot;        /* SLOT */
	struct da_device *dev;             /* the item's space (may be NULL) */
};
typedef int (*da_tree_fn)(const struct da_tree_item *it, void *arg);
void da_machine_walk(const struct da_machine *m, da_tree_fn fn, void *arg);

/* ---- keys for locked volumes (LUKS) --------------------------------- */

/* The longest key accepted: a passphrase or a key file's contents. */
#define DA_MAX_KEY 65536

/* Memory for secrets: locked when the limits allow, left out of core
 * dumps (MADV_DONTDUMP), wiped with explicit_bzero by da_secret_free.
 * The first call also makes the process undumpable (no core file), since
 * libraries keep copies we cannot mark.  NULL on failure. */
void *da_secret_alloc(size_t len);
void da_secret_free(void *p, size_t len);

/* A key source: called during da_machine_scan once for each locked
 * volume (named "luks-UUID") that could be opened.  Writes the key (a
 * passphrase, or a key file's bytes) into buf (da_secret_alloc memory of
 * max bytes, wiped after use) and returns its length, or -1 to leave the
 * volume locked.  A wrong key becomes one of the machine's problems. */
typedef int (*da_key_fn)(void *arg, const char *volume, char *buf,
			 size_t max);
void da_machine_set_key_source(struct da_machine *m, da_key_fn fn,
			       void *arg);
/* Unlock the LUKS volume of node n with key: adds the decrypted payload
 * as a volume ("luks-UUID", kind "luks") and, after the scan, scans it
 * and assembles what it holds (da_machine_rescan).
 * -1 with err: a wrong key, a volume that cannot be opened (detached
 * header, reencryption, OPAL, a cipher libcrypto lacks).  Indexes and
 * ownership built before must be built again to see the volume. */
int da_luks_unlock(struct da_machine *m, struct da_node *n, const char *key,
		   size_t keylen, da_error *err);

/* ---- ownership ------------------------------------------------------- */

/* One claimant of a disk segment. */
struct da_claim {
	const char *kind;          /* "partition_table", "partition",
				      "lvm2_pv", "lv", "filesystem", "swap",
				      "unknown"... */
	const char *name;          /* the owner's name */
	const char *role;          /* the claim's role, or NULL */
	struct da_node *node;      /* the owner's node, or NULL (a slot) */
	struct da_device *space;   /* the owner's address space */
	uint64_t owner_start;      /* offset in space of the segment start */
	int depth;
	int conflict;              /* >0: claimants at the same depth */
	int region_id;             /* index into da_ownership_regions() */
	/* >= 0: a member's area of a striped device (space), whose owners
	 * are in index number through, reached by space's unmap for member
	 * number member (see da_ownership_unstripe); -1 for other claims */
	int through;
	uint32_t member;
	int parity_region;         /* through: the region its parity chunks
				      show as (the member's "parity"), or -1 */
};

/* The disk index: sorted, no gaps, no overlaps, covers [0, disk size).
 * Index numbers below the machine's disk count are its disks; the ones
 * after them are striped devices' own address spaces (da_claim.through),
 * made while the index is built. */
struct da_segment {
	uint64_t start, len;
	uint32_t first, count;     /* into the claims array */
};

struct da_ownership;

struct da_ownership *da_ownership_build(struct da_machine *m, da_error *err);
/* The same index with no striped spaces: every claim walked down to the
 * disks a chunk at a time (the slow path tests compare spaces with; its
 * size grows with the chunks). */
struct da_ownership *da_ownership_build_flat(struct da_machine *m,
					     da_error *err);
void da_ownership_free(struct da_ownership *o);
/* How many indexes: the machine's disks, then the striped spaces. */
size_t da_ownership_nindexes(const struct da_ownership *o);
/* The segments of index number d (a borrowed view). */
const struct da_segment *da_ownership_segments(const struct da_ownership *o,
					       size_t d, size_t *n,
					       const struct da_claim **claims);

/* One owner of a byte, outermost first. */
struct da_owner {
	const char *kind;
	const char *name;
	uint64_t offset;           /* in the owner's own address space */
	const char *role;          /* or NULL */
	struct da_node *node;      /* or NULL */
	struct da_device *space;
	bool conflict;
	/* filesystems: */
	const char *fstype;
	struct da_block_info info;
	bool has_info;
};

/* A distinct (kind, name, role) that is the innermost claim somewhere:
 * what the map colours and the legend names. */
struct da_region_info {
	const char *kind, *name, *role;
	struct da_node *node;
	uint64_t bytes;            /* disk bytes where it is innermost */
	uint64_t own_bytes;        /* bytes of its owner's space where it is
				      innermost, each once however many
				      copies the disks hold (and only those
				      on a disk): the legend's size */
	/* from the role vocabulary (a claim without a role: its owner's
	 * whole space, data; swap opaque; unknown contents bad) */
	enum da_role_class cls;
	enum da_role_family family;
	const char *fstype;        /* the node's fstype prop, or NULL */
};
const struct da_region_info *da_ownership_regions(const struct da_ownership *o,
						  size_t *n);
/* The letter that stands for region id on maps without colour ('.' for
 * none): the same in --map and the explorer. */
char da_region_letter(int id);

/* Follow map_block (first target) from byte off of dev down to a disk.
 * Writes the disk's index and offset, and in *run how many bytes from off
 * stay contiguous down there.  -1 when off maps nowhere (missing PV) or
 * dev is not part of the machine. */
int da_ownership_locate(const struct da_ownership *o, struct da_device *dev,
			uint64_t off, size_t *disk, uint64_t *disk_off,
			uint64_t *run);

/* As da_ownership_locate, but stopping at the first striped space on the
 * way down (whose index number it then writes): what a summary of a
 * volume's range walks, a whole run at a time instead of a chunk.  In a
 * degraded space some of the run is on no disk: see
 * da_ownership_mapped_bytes. */
int da_ownership_locate_index(const struct da_ownership *o,
			      struct da_device *dev, uint64_t off,
			      size_t *index, uint64_t *index_off,
			      uint64_t *run);

/* Of [off, off+len) of index d, the bytes that lie on a disk (a copy or
 * more): len but in a striped space with a missing member. */
uint64_t da_ownership_mapped_bytes(const struct da_ownership *o, size_t d,
				   uint64_t off, uint64_t len);

/* Where [off, off+len) of a claim c that leads into a striped space
 * (c->through >= 0; off in c's owner offsets) lies in that space: up to
 * max pieces of data, in order, each with the bytes of the claim's range
 * it covers (*done in all, from off; parity pieces are counted in
 * *parity and not written).  Returns how many were written. */
struct da_piece {
	uint64_t off, len;         /* in the space index c->through */
	uint64_t from;             /* where it begins: bytes from off */
};
size_t da_ownership_unstripe(const struct da_ownership *o,
			     const struct da_claim *c, uint64_t off,
			     uint64_t len, struct da_piece *out, size_t max,
			     uint64_t *done, uint64_t *parity);
/* The region the map shows for byte off of index d: its innermost
 * claim's, followed into striped spaces (a parity chunk's is its
 * member's own claim's); -1 for none. */
int da_ownership_region_at(const struct da_ownership *o, size_t d,
			   uint64_t off);
/* The range of the striped space that [off, off+len) of such a claim's
 * chunks come from (whole rows of members), and how many of the len
 * bytes hold data: a summary of a range too long to walk a chunk at a
 * time scales that range's summary.  0, or -1. */
int da_ownership_hull(const struct da_ownership *o, const struct da_claim *c,
		      uint64_t off, uint64_t len, uint64_t *start,
		      uint64_t *end, uint64_t *data);

/* Every disk byte that holds byte off of dev: one for a plain stack, one
 * per copy under a mirror (depth first, in the mirror's leg order), none
 * where a PV is missing.  Returns how many were found (at most max). */
struct da_location {
	size_t disk;
	uint64_t offset;
};
int da_ownership_locate_all(const struct da_ownership *o,
			    struct da_device *dev, uint64_t off,
			    struct da_location *out, int max);

/* Of the owners w[0..n) of one disk byte, the outermost whose space lies
 * on more than one disk byte (an LV over a mirror or raid1): sets *which
 * to its index and writes every copy of the byte, in leg order; 0 when
 * no owner is mirrored. */
int da_owners_copies(const struct da_ownership *o, const struct da_owner *w,
		     int n, int *which, struct da_location *out, int max);

/* The device of index number d: disk number d of the machine the index
 * was built on, or past them a striped space; NULL past the last. */
struct da_device *da_ownership_machine_disk(const struct da_ownership *o,
					    size_t d);

/* Index of segment containing off on disk d, or -1. O(log n). */
long da_ownership_find(const struct da_ownership *o, size_t d, uint64_t off);
/* Owners of byte off of disk d, outermost first; returns how many were
 * found (may exceed max: only max are written).  With detail, a
 * filesystem owner's role/inode/path are filled in. */
int da_owners_at(const struct da_ownership *o, size_t d, uint64_t off,
		 struct da_owner *out, int max, bool detail);

/* ---- what a range holds (src/range.c) ------------------------------- */

#define DA_RANGE_MAX_OWNERS 64
#define DA_RANGE_MAX_ROLES 64
#define DA_RANGE_MAX_FILES 256
#define DA_RANGE_ROLES 1           /* ask filesystems the role of blocks */
#define DA_RANGE_FILES 2           /* ask file indexes for their files */

struct da_range_owner {
	const struct da_claim *c;  /* the first claim seen: kind, name... */
	uint64_t offset, bytes;    /* first offset in its space; bytes */
	bool conflict;
};
struct da_range_role {
	const struct da_node *node;
	const char *owner;         /* the filesystem's name */
	const char *role;
	uint64_t bytes;
};
struct da_range_file {
	const struct da_node *node;
	const char *owner;
	uint32_t file;             /* in the node's file index */
	uint64_t id;               /* inode, MFT record... */
	uint64_t bytes;
	int64_t file_off;          /* the file's byte at first, -1: its
				      metadata (an extent-tree block) */
	uint64_t first;            /* in the filesystem's space */
};
struct da_range {
	const struct da_ownership *o;
	unsigned what;
	struct da_range_owner owners[DA_RANGE_MAX_OWNERS];
	size_t nowners;            /* outermost first */
	struct da_range_role roles[DA_RANGE_MAX_ROLES];
	size_t nroles;             /* most bytes first */
	struct da_range_file files[DA_RANGE_MAX_FILES];
	size_t nfiles;             /* most bytes first */
	uint64_t unmapped, role_blocks;
	bool owners_cut, files_cut, roles_sampled;
	bool indexing;             /* a filesystem's index is not built yet */
	bool estimated;            /* a striped range too long to walk a chunk
				      at a time: its bytes are estimated from
				      the rows of the space they come from */
	/* private to the walk */
	uint64_t pieces, scale_num, scale_den;
};
/* Walk [off, off+len) of dev (a disk, a volume, or any owner's space):
 * every owner with its bytes, and as `what` asks the roles inside
 * filesystems (a block at a time, sampled past 65,536 blocks) and the
 * files (exact, from the file indexes).  NULL on allocation failure;
 * free with da_range_free. */
struct da_range *da_range_scan(const struct da_ownership *o,
			       struct da_device *dev, uint64_t off,
			       uint64_t len, unsigned what);
void da_range_free(struct da_range *r);
/* A file's first path ("" and -1 when it has none). */
int da_range_file_path(const struct da_range_file *f, char *out, size_t len);

/* Where bytes [off, off+len) of space `from` lie in space `to`, a space
 * below it in the stack (the LV under a filesystem, the disk under an
 * LV), or on the disks when to is NULL (src/place.c): fn is called for
 * each piece that stays linear all the way down, with the space it
 * reached, the piece's offset in from, its offset there and its length;
 * under a mirror, once for every copy.  Pieces that end on a space
 * other than `to` (to is not below from there, a missing PV) are
 * skipped.  At most max_pieces calls (a bound on the walk too).
 * Returns the bytes placed. */
typedef void (*da_place_fn)(void *arg, struct da_device *to,
			    uint64_t from_off, uint64_t to_off, uint64_t len);
uint64_t da_space_place(struct da_device *from, uint64_t off, uint64_t len,
			struct da_device *to, size_t max_pieces,
			da_place_fn fn, void *arg);

/* ---- map summaries (src/summary.c) ----------------------------------- */

/* What one map cell shows: the region innermost over most of its bytes,
 * and how full it is. */
struct da_cell {
	int region_id;             /* dominant innermost region, -1: none */
	uint32_t nregions;         /* distinct innermost regions in the cell */
	bool conflict;
	uint64_t bytes;            /* bytes summarised */
	uint64_t used, free, metadata, hole, unmapped;
	uint64_t pending;          /* not read yet (da_usage.pending) */
	bool estimated;            /* part of it is a striped space's rows
				      scaled to the cell (too many chunks
				      to walk one at a time) */
};
/* Summarise [off, off+len) of disk d. */
int da_summarize_disk(const struct da_ownership *o, size_t d, uint64_t off,
		      uint64_t len, struct da_cell *out);
/* Summarise [off, off+len) of any device of the machine (an LV, a
 * partition, a filesystem's space), through da_ownership_locate. */
int da_summarize_space(const struct da_ownership *o, struct da_device *dev,
		       uint64_t off, uint64_t len, struct da_cell *out);
/* n cells of `cell` bytes from off, in a row: of disk number disk (>= 0)
 * or else of dev; the same answers as a da_summarize_disk or
 * da_summarize_space call a cell (a cell past the end is all zero with
 * region -1, the last one is cut at the end), for a walk of the
 * segments and of the device stack shared by the row.  Without holes,
 * hole stays 0 (a map that does not show never-written bytes). */
int da_summarize_cells(const struct da_ownership *o, struct da_device *dev,
		       long disk, uint64_t off, uint64_t cell, size_t n,
		       bool holes, struct da_cell *out);

/* ---- bitmaps --------------------------------------------------------- */

/* A used/free bitmap stored as sorted runs of set bits: memory grows with
 * the number of runs, and counts over any range cost O(log runs). */
struct da_bitmap;

struct da_bitmap *da_bitmap_new(uint64_t nbits);
/* Mark [start, start+len) used.  Runs may come in any order; overlaps
 * merge.  Returns -1 on allocation failure. */
int da_bitmap_set_run(struct da_bitmap *b, uint64_t start, uint64_t len);
/* Sort and merge after the last set_run (set_run afterwards re-opens). */
void da_bitmap_finish(struct da_bitmap *b);
uint64_t da_bitmap_size(const struct da_bitmap *b);
uint64_t da_bitmap_count(const struct da_bitmap *b, uint64_t start,
			 uint64_t len);
bool da_bitmap_test(const struct da_bitmap *b, uint64_t bit);
/* The bytes of [off, off+len) that lie in set bits, when bit k stands for
 * the bytes [k*unit, (k+1)*unit): partial units count by their share.  A
 * filesystem's used/free over a byte range, from its block bitmap. */
uint64_t da_bitmap_bytes_set(const struct da_bitmap *b, uint64_t off,
			     uint64_t len, uint64_t unit);
size_t da_bitmap_runs(const struct da_bitmap *b);
size_t da_bitmap_memory(const struct da_bitmap *b);
void da_bitmap_free(struct da_bitmap *b);

/* Used bits given in order, a cluster or a word at a time, as a scan over
 * a FAT or an allocation bitmap finds them: the run in hand grows here
 * and reaches the bitmap when it ends (a set_run a cluster costs 3 ns,
 * 0.2 s over a full 2 TiB FAT32).  oom says a set_run failed. */
struct da_bitmap_builder {
	struct da_bitmap *b;
	uint64_t start, len;
	bool oom;
};
static inline void da_bitmap_build(struct da_bitmap_builder *w,
				   uint64_t start, uint64_t len)
{
	if (w->len && w->start + w->len == start) {
		w->len += len;
		return;
	}
	if (w->len && da_bitmap_set_run(w->b, w->start, w->len) < 0)
		w->oom = true;
	w->start = start;
	w->len = len;
}
/* The run in hand to the bitmap, which is then finished; -1 when a
 * set_run failed (the bitmap is left unfinished). */
static inline int da_bitmap_build_end(struct da_bitmap_builder *w)
{
	if (w->len && da_bitmap_set_run(w->b, w->start, w->len) < 0)
		w->oom = true;
	w->len = 0;
	if (w->oom)
		return -1;
	da_bitmap_finish(w->b);
	return 0;
}

/* ---- reports (src/report.c): what the command line prints ------------ */

/* The scan as a tree (text) or as the contract's JSON document. */
int da_report_list(FILE *f, struct da_machine *m, bool json);
/* The owners of byte off of index d (a disk's; a striped space's for a
 * byte da_where_locate found on no disk): a few lines of text, or one
 * JSON object on one line, which echoes where (the input) when it is not
 * NULL. */
int da_report_lookup(FILE *f, const struct da_ownership *o,
		     struct da_machine *m, size_t d, uint64_t off, bool json,
		     const char *where);
/* What a metadata owner's byte describes, as --lookup's "governs" says
 * it: the filesystem's answer (info.governs: "inodes 6065-6068 of group
 * 2"), or the volume group whose label or metadata area an LVM PV's
 * bytes are (written into buf); NULL when nothing. */
const char *da_owner_governs(const struct da_owner *x, char *buf, size_t len);
/* WHERE as people write it (src/where.c): "[NAME:]OFFSET",
 * "[NAME:]START-END" (END not included) or "[NAME:]START+LENGTH"; NAME a
 * disk or an assembled volume ("vg/lv"), no NAME the first disk.  Numbers
 * are bytes (decimal or 0x hex, K/M/G/T powers of 1024) or sectors with
 * an s ("2048s"); a bare number is read in opts' unit.  A block is the
 * block of the filesystem the space holds directly, numbered as its tools
 * number it (FAT and exFAT clusters from 2 at the data area), else the
 * space's logical sector. */
enum da_unit { DA_UNIT_BYTE, DA_UNIT_SECTOR, DA_UNIT_BLOCK };
struct da_where_opts {
	enum da_unit unit;         /* what a bare number counts */
	uint32_t sector_size;      /* 0: the disk's own logical sector */
};
struct da_where {
	struct da_device *dev;     /* the disk or volume named */
	const char *name;
	uint64_t off, len;         /* len 1 for one offset */
	bool range;
};
/* -1 with err on an unknown name, a bad number, a start past the end or
 * an empty range (a range past the end is cut there).  opts may be NULL. */
int da_where_parse(struct da_machine *m, const char *where,
		   const struct da_where_opts *opts, struct da_where *out,
		   da_error *err);
/* Where w's first byte is answered: 0 and its disk byte (a volume's
 * through its mapping; the first copy of a mirror); 1 when it lies on no
 * disk here (on a missing RAID member) but inside a striped space with an
 * index of its own, and its byte of that index (the owners inside the
 * space are known, the disks' are not); -1 with err when neither. */
int da_where_locate(const struct da_ownership *o, const char *where,
		    const struct da_where *w, size_t *d, uint64_t *off,
		    da_error *err);
/* The logical sector size of a disk (its partition table's: 4096 on a
 * 4K-native GPT disk), 512 when nothing says otherwise. */
uint32_t da_machine_sector_size(const struct da_machine *m,
				const struct da_device *dev);
/* One offset only, with the defaults: the device and the offset in it;
 * and the same down to an index byte (da_where_locate). */
int da_parse_where_dev(struct da_machine *m, const char *where,
		       struct da_device **dev, uint64_t *off, da_error *err);
int da_resolve_where(const struct da_ownership *o, struct da_machine *m,
		     const char *where, size_t *d, uint64_t *off,
		     da_error *err);
/* Every owner of [w->off, w->off + w->len) of w's space, outermost first,
 * with how many of those bytes each owns; the roles inside filesystems;
 * the files with their bytes and offsets.  Text, or one JSON object on
 * one line that echoes where. */
int da_report_range(FILE *f, const struct da_ownership *o,
		    struct da_machine *m, const char *where,
		    const struct da_where *w, bool json);
/* The disk as a width x height map of letters, with a legend; color adds
 * ANSI colours (one per region) for a terminal. */
int da_report_map(FILE *f, const struct da_ownership *o,
		  struct da_machine *m, size_t d, int width, int height,
		  bool color);

/* Every string that comes from an image (names, labels, paths, messages
 * that quote them) or from the user is printed through one of these two
 * (src/value.c).  Text: valid UTF-8 as it is, except that backslash is
 * \\, ESC \e, newline \n, CR \r, TAB \t, other C0 controls and DEL
 * \xHH, C1 controls and the bidirectional overrides \uHHHH, and each byte
 * that is not part of valid UTF-8 \xHH.  JSON: a quoted string that is
 * always valid UTF-8, controls (C0, DEL, C1, bidi) as \u00HH/\uHHHH, and
 * each byte that is not part of valid UTF-8 as U+FFFD. */
void da_text_string(FILE *f, const char *s);
void da_json_string(FILE *f, const char *s);

/* ---- parsing helpers ------------------------------------------------- */

/* Parse an offset: decimal or 0x hex, suffix K/M/G/T (1024s) or s
 * (512-byte sectors).  -1 on bad input or overflow. */
int da_parse_offset(const char *s, uint64_t *out);
/* "1.5 GiB" */
void da_human_size(uint64_t bytes, char *buf, size_t len);

#endif
