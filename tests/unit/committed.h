/* For unit tests that go over every committed test image: each
 * tests/images/NAME.img.xz unpacked (sparse) into a scratch folder, the
 * disks of a multi-disk machine (NAME-a, NAME-b... up to
 * COMMITTED_MAX_DISKS) handed over together.  Include after cmocka.h.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_TEST_COMMITTED_H
#define DA_TEST_COMMITTED_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COMMITTED_MAX_DISKS 4

/* NAME-a .. NAME-d: a disk of machine NAME (written to base) */
static int committed_member(const char *name, char *base, size_t len)
{
	size_t l = strlen(name);
	if (l > 2 && name[l - 2] == '-' && name[l - 1] >= 'a' &&
	    name[l - 1] <= 'd') {
		snprintf(base, len, "%.*s", (int)(l - 2), name);
		return 1;
	}
	return 0;
}

static int committed_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Calls check(label, paths, ndisks) for each machine of the committed
 * images, unpacked into tmpdir and removed after; returns the sum of
 * what check returned.  Fails the test when there are fewer than 10. */
static size_t committed_each(const char *tmpdir,
			     size_t (*check)(const char *label,
					     const char *const *specs,
					     size_t nspecs))
{
	DIR *dir = opendir("tests/images");
	assert_non_null(dir);
	char *names[256];
	size_t n = 0, sum = 0;
	struct dirent *e;
	while ((e = readdir(dir)) && n < 256) {
		size_t l = strlen(e->d_name);
		if (l > 7 && !strcmp(e->d_name + l - 7, ".img.xz"))
			names[n++] = strndup(e->d_name, l - 7);
	}
	closedir(dir);
	qsort(names, n, sizeof(*names), committed_cmp);
	assert_true(n >= 10);
	for (size_t i = 0; i < n; i++) {
		char base[128], paths[COMMITTED_MAX_DISKS][192], cmd[1200];
		const char *specs[COMMITTED_MAX_DISKS];
		size_t k = 0;
		bool member = committed_member(names[i], base, sizeof(base));
		if (!member)
			snprintf(base, sizeof(base), "%s", names[i]);
		/* base-a, base-b... come in a row: one machine */
		for (; i + k < n && k < COMMITTED_MAX_DISKS; k++) {
			char b2[128];
			if (k && (!member ||
				  !committed_member(names[i + k], b2, sizeof(b2)) ||
				  strcmp(b2, base)))
				break;
			snprintf(paths[k], sizeof(paths[k]), "%s/%s.img",
				 tmpdir, names[i + k]);
			snprintf(cmd, sizeof(cmd), "xz -dc 'tests/images/"
				 "%s.img.xz' | cp --sparse=always /dev/stdin "
				 "'%s'", names[i + k], paths[k]);
			assert_int_equal(system(cmd), 0);
			specs[k] = paths[k];
		}
		i += k - 1;
		sum += check(base, specs, k);
		for (size_t j = 0; j < k; j++)
			unlink(paths[j]);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return sum;
}

#endif
