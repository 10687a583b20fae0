/* The plugin tables, probed in order of specificity: a table's earlier
 * entries win over later ones only by being asked first; two that both
 * claim a device are reported as ambiguous by the scan driver.
 * Adding a format: one file, one line here.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "diskatlas.h"

extern const struct da_plugin da_plugin_gpt, da_plugin_mbr;
extern const struct da_plugin da_plugin_lvm2, da_plugin_md;
extern const struct da_plugin da_plugin_luks;
extern const struct da_plugin da_plugin_ext, da_plugin_fat, da_plugin_swap;
extern const struct da_plugin da_plugin_xfs, da_plugin_ntfs, da_plugin_exfat;

const struct da_plugin *const da_part_plugins[] = {
	&da_plugin_gpt, &da_plugin_mbr,
	NULL
};

const struct da_plugin *const da_vol_plugins[] = {
	&da_plugin_md, &da_plugin_lvm2,
	&da_plugin_luks,
	NULL
};

const struct da_plugin *const da_fs_plugins[] = {
	&da_plugin_swap, &da_plugin_exfat, &da_plugin_fat, &da_plugin_ext,
	&da_plugin_xfs, &da_plugin_ntfs,
	NULL
};
