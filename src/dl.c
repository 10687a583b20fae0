/* Loading an optional library by its soname (see dl.h for why).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dl.h"
#include "diskatlas.h"

/* The test hook: is soname listed in DISKATLAS_DL_FAIL? */
static int pretend_missing(const char *soname)
{
	const char *s = getenv("DISKATLAS_DL_FAIL");
	while (s && *s) {
		size_t n = strcspn(s, ",");
		if ((n == 3 && !strncmp(s, "all", 3)) ||
		    (n && !strncmp(soname, s, n)))
			return 1;
		s += n + (s[n] == ',');
	}
	return 0;
}

/* The lines live as long as the process: a handful of libraries, each
 * loaded once. */
static const char *line(const char *fmt, const char *a, const char *b,
			const char *c)
{
	char buf[300];
	snprintf(buf, sizeof(buf), fmt, a, b, c);
	char *s = strdup(buf);
	return s ? s : "a library is missing (out of memory)";
}

const char *da_dl_load(const struct da_dl_lib *lib, void **slots)
{
	void *h = NULL;
	if (pretend_missing(lib->soname)) {
		if (da_debug)
			da_trace("dlopen %s: refused by DISKATLAS_DL_FAIL",
				 lib->soname);
	} else {
		/* RTLD_LOCAL: its symbols stay out of everyone else's way */
		h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
		if (!h && da_debug)
			da_trace("dlopen %s: %s", lib->soname, dlerror());
	}
	if (!h)
		return line("%s (Debian: %s)", lib->need, lib->package, "");
	for (size_t i = 0; i < lib->count; i++) {
		slots[i] = dlsym(h, lib->names[i]);
		if (!slots[i]) {
			/* an older or newer library than the headers: never
			 * call half a table */
			dlclose(h);
			return line("%s with %s (Debian: %s)", lib->need,
				    lib->names[i], lib->package);
		}
	}
	if (da_debug)
		da_trace("dlopen %s: %zu functions", lib->soname, lib->count);
	return NULL;
}
