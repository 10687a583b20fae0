/* Private: JSON output of da_value trees.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_VALUE_H
#define DA_VALUE_H
#include <stdio.h>
#include "diskatlas.h"

struct da_value *da_value_copy(const struct da_value *v);
void da_json_value(FILE *f, const struct da_value *v);
void da_json_members(FILE *f, const struct da_value *obj, bool *first);
#endif
