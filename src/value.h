/* Private: JSON output of da_value trees.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_VALUE_H
#define DA_VALUE_H
#include <stdio.h>
#include "diskatlas.h"

struct da_value *da_value_copy(const struct da_value *v);
void da_json_value(FILE *f, const struct da_value *v);
void da_json_members(FILE *f, const struct da_value *obj, bool *first);
/* key is one of unknown (NULL-ended: a plugin's settle_props) and v is
 * -1: what a settle could not find, which output leaves out. */
bool da_prop_unknown(const char *const *unknown, const char *key,
		     const struct da_value *v);
/* da_json_members without the props da_prop_unknown names. */
void da_json_members_known(FILE *f, const struct da_value *obj, bool *first,
			   const char *const *unknown);
#endif
