/* md RAID arrays: assembly groups the members of the whole machine by
 * array UUID, takes the superblock with the most events as the array's
 * own, puts each member at its role, and builds the array's device:
 * linear (a linear device), RAID0 (striped zones, as md builds them over
 * members of unequal sizes), RAID1 (a mirror), RAID10 and RAID4/5/6 (the
 * raid device of src/device.c).  Members that disagree with that
 * superblock, are older, or claim a role twice are left out with a
 * warning; spares and faulty members are named; missing members make the
 * array degraded (still readable from the copies or the parity) or, past
 * what the level survives, failed.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md.h"

#define MAX_MEMBERS 65536u        /* member nodes in a machine */

static struct md_sb *sb_of(struct da_node *n)
{
	return &((struct md_member *)n->priv)->sb;
}

static bool same_array(const struct md_sb *a, const struct md_sb *b)
{
	return (a->major == 0) == (b->major == 0) &&
	       memcmp(a->uuid, b->uuid, 16) == 0;
}

/* What of the reference superblock another member contradicts, or NULL. */
static const char *disagreement(const struct md_sb *ref, const struct md_sb *s)
{
	if (s->level != ref->level)
		return "RAID level";
	if (s->raid_disks != ref->raid_disks)
		return "number of members";
	if ((ref->level == 0 || ref->level >= 4) && s->chunk != ref->chunk)
		return "chunk size";
	if ((ref->level >= 4 || ref->level == 0) && s->layout != ref->layout)
		return "layout";
	if (ref->level >= 1 && s->size != ref->size)
		return "component size";
	return NULL;
}

/* "md0", or the name mdadm would give /dev/md/NAME, unique among the
 * machine's volumes. */
static char *array_name(struct da_machine *m, const struct md_sb *ref)
{
	char base[48];
	const char *colon = strchr(ref->name, ':');
	const char *nm = colon ? colon + 1 : ref->name;
	bool ok = nm[0] != '\0';
	for (const char *c = nm; *c && ok; c++)
		ok = *c > ' ' && *c < 0x7f && *c != '/' && *c != ':';
	if (ok)
		snprintf(base, sizeof(base), "%.40s", nm);
	else if (ref->major == 0 && ref->md_minor < 1u << 20)
		snprintf(base, sizeof(base), "md%u", ref->md_minor);
	else
		snprintf(base, sizeof(base), "md0");
	char *name = da_strdup(base);
	for (unsigned k = 1; k < 1000; k++) {
		bool taken = false;
		for (size_t i = 0; i < m->nvolumes && !taken; i++)
			taken = !strcmp(m->volumes[i].name, name);
		for (size_t i = 0; i < m->ndisks && !taken; i++)
			taken = !strcmp(m->disks[i].name, name);
		if (!taken)
			break;
		free(name);
		/* md0 -> md1 ...; a name -> name_2 */
		if (!strncmp(base, "md", 2) && base[2] >= '0' && base[2] <= '9')
			name = da_asprintf("md%u", (unsigned)atoi(base + 2) + k);
		else
			name = da_asprintf("%s_%u", base, k + 1);
	}
	return name;
}

static uint64_t round_chunk(uint64_t v, uint64_t chunk)
{
	return chunk ? v / chunk * chunk : v;
}

/* RAID0 over members of possibly unequal sizes: md's strip zones.  Zone
 * z stripes over the members longer than the zone's start; with the
 * original layout the member of a chunk follows the array's chunk number,
 * with the alternate one the zone's own (so the stripes rotate). */
static struct da_device *raid0_build(const char *name, const struct md_sb *ref,
				     struct da_device **devs,
				     const uint64_t *doff, const uint64_t *dsz,
				     size_t n, bool *odd, da_error *err)
{
	uint64_t chunk = ref->chunk;
	struct da_linear_seg *segs = da_xcalloc(n, sizeof(*segs));
	struct da_device **zst = da_xcalloc(n, sizeof(*zst));
	uint64_t *zoff = da_xcalloc(n, sizeof(*zoff));
	size_t nz = 0;
	uint64_t dev_start = 0, array_at = 0;
	struct da_device *out = NULL;
	*odd = false;
	for (;;) {
		/* the members that reach past dev_start, in role order */
		size_t c = 0;
		uint64_t smallest = UINT64_MAX;
		for (size_t i = 0; i < n; i++)
			if (dsz[i] > dev_start) {
				c++;
				if (dsz[i] < smallest)
					smallest = dsz[i];
			}
		if (!c)
			break;
		uint64_t per = smallest - dev_start, zsize;
		if (!mul_ok(per, c, &zsize))
			goto fail;
		uint64_t zchunks = array_at / chunk;
		size_t rot = ref->layout == 2 ? 0 : (size_t)(zchunks % c);
		if (nz && rot)
			*odd = ref->layout != 1;
		size_t k = 0;
		struct da_device **list = da_xcalloc(c, sizeof(*list));
		uint64_t *loff = da_xcalloc(c, sizeof(*loff));
		for (size_t i = 0; i < n; i++)
			if (dsz[i] > dev_start) {
				list[k] = devs[i];
				loff[k++] = doff[i] + dev_start;
			}
		for (size_t s = 0; s < c; s++) {
			zst[s] = list[(s + rot) % c];
			zoff[s] = loff[(s + rot) % c];
		}
		char *zn = da_asprintf("%s/zone%zu", name, nz);
		struct da_device *z = da_striped_device_new(zn, zsize, chunk, c,
							    zst, zoff, err);
		free(zn);
		free(list);
		free(loff);
		if (!z)
			goto fail;
		segs[nz++] = (struct da_linear_seg){ array_at, zsize, z, 0 };
		if (!add_ok(array_at, zsize, &array_at)) {
			da_error_set(err, EINVAL, "%s: zones past 2^64 bytes",
				     name);
			goto fail;
		}
		dev_start = smallest;
		if (nz >= n)
			break;
	}
	if (nz == 1) {
		out = segs[0].target;
		/* the zone device is the array: give it the array's name */
		free(out->name);
		out->name = da_strdup(name);
		segs[0].target = NULL;
	} else if (nz > 1) {
		out = da_linear_device_new(name, array_at, segs, nz, err);
	}
fail:
	for (size_t i = 0; i < nz; i++)
		da_device_unref(segs[i].target);
	free(segs);
	free(zst);
	free(zoff);
	return out;
}

/* Assemble the array of member all->v[first] with every member of the
 * same UUID.  Returns the volumes added (0 or 1). */
static int assemble_array(struct da_machine *m, const struct da_node_list *all,
			  size_t first)
{
	struct md_sb *ref = NULL;
	struct da_node *refn = NULL;
	size_t ng = 0;
	struct da_node **group = da_xcalloc(all->n, sizeof(*group));
	struct md_sb *s0 = sb_of(all->v[first]);
	for (size_t i = first; i < all->n; i++) {
		struct md_member *mm = all->v[i]->priv;
		if (mm->assembled || !mm->usable || !same_array(s0, &mm->sb))
			continue;
		mm->assembled = true;
		group[ng++] = all->v[i];
		if (!ref || mm->sb.events > ref->events) {
			ref = &mm->sb;
			refn = all->v[i];
		}
	}
	/* among the newest superblocks, the one most members agree with:
	 * a single member that says otherwise is the odd one out */
	if (ng <= 1024) {
		size_t best = 0;
		for (size_t i = 0; i < ng; i++) {
			struct md_sb *c = sb_of(group[i]);
			if (c->events != ref->events)
				continue;
			size_t agree = 0;
			for (size_t k = 0; k < ng; k++)
				agree += !disagreement(c, sb_of(group[k]));
			if (agree > best) {
				best = agree;
				ref = c;
				refn = group[i];
			}
		}
	}
	uint32_t nd = ref->raid_disks;
	struct da_node **role = da_xcalloc(nd, sizeof(*role));
	struct da_value *spares = da_arr_new(), *faulty = da_arr_new();
	char *name = array_name(m, ref);
	for (size_t i = 0; i < ng; i++) {
		struct da_node *n = group[i];
		struct md_member *mm = n->priv;
		const char *why = disagreement(ref, &mm->sb);
		if (why) {
			da_warn(n, "its superblock disagrees with %s's on the "
				"%s: not used in array %s", refn->dev->name, why,
				name);
			continue;
		}
		snprintf(mm->array, sizeof(mm->array), "%s", name);
		da_obj_set_str(n->props, "array", name);
		if (mm->sb.events < ref->events) {
			da_warn(n, "out of date (events %llu, array %s at "
				"%llu): not used",
				(unsigned long long)mm->sb.events, name,
				(unsigned long long)ref->events);
			continue;
		}
		if (mm->sb.role == MD_ROLE_SPARE) {
			da_arr_push(spares, da_str_new(n->dev->name));
			continue;
		}
		if (mm->sb.role == MD_ROLE_FAULTY) {
			da_arr_push(faulty, da_str_new(n->dev->name));
			continue;
		}
		if (role[mm->sb.role]) {
			da_warn(n, "role %d is already %s's: not used",
				mm->sb.role, role[mm->sb.role]->dev->name);
			continue;
		}
		role[mm->sb.role] = n;
	}

	/* the members' data areas, by role */
	struct da_device **devs = da_xcalloc(nd, sizeof(*devs));
	uint64_t *doff = da_xcalloc(nd, sizeof(*doff));
	uint64_t *dsz = da_xcalloc(nd, sizeof(*dsz));
	size_t missing = 0;
	char miss[200] = "";
	uint64_t chunk = ref->chunk;
	bool sizes_guessed = false;
	for (uint32_t r = 0; r < nd; r++) {
		if (role[r]) {
			struct md_sb *s = sb_of(role[r]);
			devs[r] = role[r]->dev;
			doff[r] = s->data_offset;
			dsz[r] = round_chunk(s->data_size, ref->level <= 0
					     ? chunk : 0);
		} else {
			missing++;
			/* a missing member of a linear or RAID0 array is
			 * taken to be the size of the reference member */
			dsz[r] = round_chunk(ref->data_size, ref->level <= 0
					     ? chunk : 0);
			sizes_guessed |= ref->level <= 0;
			size_t l = strlen(miss);
			if (l < sizeof(miss) - 12)
				snprintf(miss + l, sizeof(miss) - l, "%s%u",
					 l ? ", " : "", r);
		}
	}

	da_error e = { 0 };
	struct da_device *dev = NULL;
	bool odd_layout = false;
	const char *state = "clean";
	bool degraded = false, failed = false;
	switch (ref->level) {
	case -1: {
		struct da_linear_seg *segs = da_xcalloc(nd, sizeof(*segs));
		uint64_t at = 0;
		size_t k = 0;
		for (uint32_t r = 0; r < nd; r++) {
			if (!dsz[r] || !add_ok(at, dsz[r], &at))
				continue;
			segs[k++] = (struct da_linear_seg){ at - dsz[r], dsz[r],
							    devs[r], doff[r] };
		}
		if (k)
			dev = da_linear_device_new(name, at, segs, k, &e);
		free(segs);
		failed = missing > 0;
		break;
	}
	case 0:
		dev = raid0_build(name, ref, devs, doff, dsz, nd, &odd_layout,
				  &e);
		failed = missing > 0;
		break;
	case 1:
	case -4:
		if (missing < nd)
			dev = da_mirror_device_new(name, ref->size, nd, devs,
						   doff, &e);
		else
			da_error_set(&e, ENXIO, "no member present");
		degraded = missing > 0;
		break;
	default: {
		struct da_raid_geom g = {
			.level = ref->level, .layout = ref->layout,
			.chunk = chunk, .dev_size = ref->size, .n = nd,
		};
		uint64_t size;
		dev = da_raid_device_new(name, &g, devs, doff, &size, &e);
		size_t survive = ref->level == 6 ? 2 : ref->level == 10
				 ? (ref->layout & 0xff) * (ref->layout >> 8 &
							   0xff) - 1 : 1;
		degraded = missing > 0 && missing <= survive;
		failed = missing > survive;
		break;
	}
	}
	if (failed)
		state = ref->level <= 0 ? "partial" : "failed";
	else if (degraded)
		state = "degraded";

	int added = 0;
	if (dev) {
		struct da_value *p = da_obj_new();
		char buf[80], lay[48];
		md_uuid_str(ref, buf);
		da_obj_set_str(p, "uuid", buf);
		if (ref->name[0])
			da_obj_set_str(p, "md_name", ref->name);
		da_obj_set_str(p, "metadata_version", ref->major == 0 ? "0.90"
			       : ref->minor == 0 ? "1.0" : ref->minor == 1
			       ? "1.1" : "1.2");
		da_obj_set_str(p, "level", md_level_name(ref->level));
		md_layout_name(ref->level, ref->layout, lay, sizeof(lay));
		if (ref->level == 0 || ref->level >= 4) {
			da_obj_set_str(p, "layout", lay);
			da_obj_set_int(p, "chunk_size", (int64_t)chunk);
		}
		da_obj_set_int(p, "raid_disks", nd);
		/* mdadm's layout name does not say it: far copies that
		 * rotate within sets of members (raid10.c setup_geo) */
		if (ref->level == 10 && ref->layout >> 17 && nd)
			da_obj_set_int(p, "far_set_size", ref->layout >> 17 == 1
				       ? nd / ((ref->layout >> 8 & 0xff) ?
					       (ref->layout >> 8 & 0xff) : 1)
				       : (ref->layout & 0xff) *
					 (ref->layout >> 8 & 0xff));
		if (ref->level >= 1)
			da_obj_set_int(p, "component_size", (int64_t)ref->size);
		da_obj_set_int(p, "events", (int64_t)ref->events);
		struct da_value *mem = da_arr_new();
		for (uint32_t r = 0; r < nd; r++) {
			struct da_value *o = da_obj_new();
			da_obj_set_int(o, "role", r);
			if (role[r]) {
				da_obj_set_str(o, "device", role[r]->dev->name);
				da_obj_set_int(o, "data_offset",
					       (int64_t)doff[r]);
			} else {
				da_obj_set_str(o, "device", "missing");
			}
			da_arr_push(mem, o);
		}
		da_obj_set(p, "members", mem);
		da_obj_set(p, "spares", spares);
		da_obj_set(p, "faulty", faulty);
		spares = faulty = NULL;
		da_obj_set_str(p, "state", state);
		if (degraded)
			da_obj_set_bool(p, "degraded", true);
		if (failed)
			da_obj_set_bool(p, "partial", true);
		snprintf(buf, sizeof(buf), "%s%s%s, %zu of %u members",
			 md_level_name(ref->level),
			 ref->level == 0 || ref->level >= 4 ? " " : "",
			 ref->level == 0 || ref->level >= 4 ? lay : "",
			 (size_t)nd - missing, nd);
		da_obj_set_str(p, "status", buf);
		char why[400] = "";
		if (missing)
			snprintf(why, sizeof(why), "%s: member%s %s missing%s",
				 state, missing > 1 ? "s" : "", miss,
				 degraded && ref->level >= 4 && ref->level != 10
				 ? "; its chunks are rebuilt from parity" :
				 degraded ? "; reads come from the other copies"
				 : sizes_guessed ? "; taken to be as large as "
				 "the others" : "");
		if (odd_layout) {
			size_t l = strlen(why);
			snprintf(why + l, sizeof(why) - l, "%sRAID0 layout %u "
				 "of zones over unequal members read as the "
				 "original layout", l ? "; " : "", ref->layout);
		}
		if (why[0]) {
			da_obj_set_str(p, "reason", why);
			for (uint32_t r = 0; r < nd; r++)
				if (role[r])
					da_warn(role[r], "array %s is %s", name,
						why);
		}
		da_trace("md: array %s, %llu bytes, %s", name,
			 (unsigned long long)dev->size, state);
		da_machine_add_volume(m, name, "md_array", dev, p);
		added = 1;
	} else {
		bool told = false;
		for (uint32_t r = 0; r < nd; r++)
			if (role[r]) {
				da_warn(role[r], "array %s not assembled: %s",
					name, e.msg);
				told = true;
			}
		/* no member holds a role (only spares, faulty or stale
		 * ones): say it on them, or nobody hears of the array */
		for (size_t i = 0; i < ng && !told; i++)
			da_warn(group[i], "array %s not assembled: %s", name,
				e.msg);
	}
	/* the members' regions: what of their data areas the array uses,
	 * and which chunks hold parity */
	for (uint32_t r = 0; r < nd; r++) {
		if (!role[r])
			continue;
		uint64_t used = ref->level >= 1 ? ref->size : dsz[r];
		md_member_regions(role[r], ref->level, ref->layout, nd, chunk,
				  used, added);
		char act[40];
		snprintf(act, sizeof(act), "active device %u", r);
		da_obj_set_str(role[r]->props, "state", act);
	}
	da_value_free(spares);
	da_value_free(faulty);
	free(name);
	free(devs);
	free(doff);
	free(dsz);
	free(role);
	free(group);
	return added;
}

int md_assemble(struct da_machine *m, da_error *err)
{
	(void)err;             /* an array that fails is reported on members */
	struct da_node_list all = da_machine_nodes_of(m, &da_plugin_md,
						      MAX_MEMBERS);
	int added = 0;
	for (size_t i = 0; i < all.n; i++) {
		struct md_member *mm = all.v[i]->priv;
		if (mm->assembled)
			continue;
		if (!mm->usable) {
			mm->assembled = true;
			continue;
		}
		added += assemble_array(m, &all, i);
	}
	free(all.v);
	return added;
}
