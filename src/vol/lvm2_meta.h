/* Private: the LVM2 text metadata format (what the metadata areas and
 * vgcfgbackup files hold), parsed into a flat tree of items.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_LVM2_META_H
#define DA_LVM2_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds on hostile text: more is refused with a reason. */
#define LVM_META_MAX_TEXT (1u << 20)
#define LVM_META_MAX_DEPTH 16
#define LVM_META_MAX_ITEMS 100000u

enum lvm_type { LVM_INT, LVM_FLOAT, LVM_STR, LVM_ARRAY, LVM_SECTION };

/* One item: "key = value", "key { ... }", or an array element (no key).
 * Items are indices into lvm_meta.items; -1 means none.  Item 0 is the
 * root section (the whole text). */
struct lvm_item {
	const char *key;
	enum lvm_type type;
	int64_t i;             /* LVM_INT */
	const char *s;         /* LVM_STR; LVM_FLOAT as written */
	int32_t child, next;   /* first element or member; next sibling */
};

struct lvm_meta {
	struct lvm_item *items;
	size_t nitems, cap;
	char *strings;         /* keys and unescaped strings */
	size_t nstrings, capstrings;
};

/* Parse len bytes of text (trailing NULs are ignored).  0 on success;
 * -1 with why filled ("line 12: expected '='") on malformed or oversize
 * text, and nothing to free. */
int da_lvm_meta_parse(const char *text, size_t len, struct lvm_meta *out,
		      char *why, size_t whylen);
void da_lvm_meta_free(struct lvm_meta *m);

/* The member key of section sec (first match), or NULL. */
const struct lvm_item *da_lvm_get(const struct lvm_meta *m,
				  const struct lvm_item *sec, const char *key);
/* Children of a section or array, in order. */
const struct lvm_item *da_lvm_first(const struct lvm_meta *m,
				    const struct lvm_item *it);
const struct lvm_item *da_lvm_next(const struct lvm_meta *m,
				   const struct lvm_item *it);
/* Typed lookups: false (or NULL) when missing or of another type. */
bool da_lvm_get_int(const struct lvm_meta *m, const struct lvm_item *sec,
		    const char *key, int64_t *out);
const char *da_lvm_get_str(const struct lvm_meta *m,
			   const struct lvm_item *sec, const char *key);
const struct lvm_item *da_lvm_get_section(const struct lvm_meta *m,
					  const struct lvm_item *sec,
					  const char *key);
/* Does the array member key of sec hold the string flag? */
bool da_lvm_has_flag(const struct lvm_meta *m, const struct lvm_item *sec,
		     const char *key, const char *flag);

#endif
