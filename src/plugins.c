/* The plugin tables, probed in order of specificity: a table's earlier
 * entries win over later ones only by being asked first; two that both
 * claim a device are reported as ambiguous by the scan driver.
 * Adding a format: one file, one line here.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "diskatlas.h"

const struct da_plugin *const da_part_plugins[] = {
	NULL
};

const struct da_plugin *const da_vol_plugins[] = {
	NULL
};

const struct da_plugin *const da_fs_plugins[] = {
	NULL
};
