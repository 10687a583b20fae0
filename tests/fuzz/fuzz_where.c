/* libFuzzer target: WHERE as people type it, "[NAME:]OFFSET", against a
 * machine of two disks (an LVM2 PV with two LVs of one name, and an MBR
 * that contains itself, both made by tests/images/hostile.py into
 * FUZZ_WHERE_DIR, default build/fuzz/where): the offset parser, the name
 * lookup (disks and volumes), the walk down to a disk, the answer in
 * text and JSON, and the two string escapers on the raw input.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskatlas.h"

static struct da_machine *machine;
static struct da_ownership *own;
static FILE *null;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = getenv("FUZZ_WHERE_DIR");
	if (!dir)
		dir = "build/fuzz/where";
	char a[600], b[600];
	snprintf(a, sizeof(a), "lvm-dup.img=%s/lvm-dup.img", dir);
	snprintf(b, sizeof(b), "self3.img=%s/self3.img", dir);
	const char *specs[] = { a, b };
	da_error err;
	machine = da_machine_open("where", specs, 2, &err);
	if (machine)
		da_machine_scan(machine);
	if (!machine || !(own = da_ownership_build(machine, &err))) {
		fprintf(stderr, "fuzz_where: %s (run tests/images/hostile.py "
			"%s lvm-dup self3)\n", err.msg, dir);
		exit(1);
	}
	null = fopen("/dev/null", "w");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	uint64_t off;
	if (da_parse_offset(s, &off) == 0) {
		char h[32];
		da_human_size(off, h, sizeof(h));
	}
	struct da_device *dev;
	da_error err = { 0 };
	da_parse_where_dev(machine, s, &dev, &off, &err);
	size_t d;
	if (da_resolve_where(own, machine, s, &d, &off, &err) >= 0) {
		da_report_lookup(null, own, machine, d, off, size % 2 == 0, NULL);
	} else {
		da_text_string(null, err.msg);
		da_json_string(null, err.msg);
	}
	da_text_string(null, s);
	da_json_string(null, s);
	free(s);
	return 0;
}
