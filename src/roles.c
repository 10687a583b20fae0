/* The role vocabulary's table (the roles themselves are in roles.def).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "diskatlas.h"

static const struct da_role_info roles[DA_ROLE_COUNT] = {
	[DA_ROLE_NONE] = { NULL, DA_RC_DATA, DA_FAM_DATA, NULL },
#define DA_ROLE(id, name, cls, fam, text) \
	[DA_ROLE_##id] = { name, cls, fam, text },
#include "roles.def"
#undef DA_ROLE
};

const struct da_role_info *da_role(enum da_role r)
{
	if (r <= DA_ROLE_NONE || r >= DA_ROLE_COUNT)
		return NULL;
	return &roles[r];
}

const char *da_role_name(enum da_role r)
{
	const struct da_role_info *i = da_role(r);
	return i ? i->name : NULL;
}

enum da_role da_role_by_name(const char *name)
{
	if (!name)
		return DA_ROLE_NONE;
	/* role names are static strings: the pointer usually matches */
	for (int r = 1; r < DA_ROLE_COUNT; r++)
		if (roles[r].name == name)
			return (enum da_role)r;
	for (int r = 1; r < DA_ROLE_COUNT; r++)
		if (!strcmp(roles[r].name, name))
			return (enum da_role)r;
	return DA_ROLE_NONE;
}

const char *da_role_class_name(enum da_role_class c)
{
	static const char *const names[] = {
		"data", "metadata", "free", "unallocated", "bookkeeping",
		"redundancy",
	};
	return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c]
							      : "?";
}
