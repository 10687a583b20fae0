/* Optional libraries, loaded the first time an image needs them.
 *
 * libnbd (vmdk, vhdx, vdi, vpc, qed, nbd:// URIs), libntfs-3g (NTFS),
 * libcryptsetup, libcrypto and libgcrypt (LUKS) pull in tens of other libraries whose
 * start-up costs every run megabytes and time, while most images need none
 * of them.  Each is opened with dlopen by its soname and its functions are
 * resolved into a table whose member types come from the library's own
 * header (the prototypes stay checked at build time).  A library missing at
 * run time gives one line naming it and its Debian package, never a crash.
 *
 * A library's table is a list of its function names, X(name) each:
 *
 *   #define DA_NBD_FUNCS(X) X(nbd_create) X(nbd_close) ...
 *   DA_DL_DECLARE(nbd, DA_NBD_FUNCS)   in its header
 *   DA_DL_DEFINE(nbd, DA_NBD_FUNCS, "libnbd.so.0", "...", "libnbd0")
 *
 * gives `struct da_dl_nbd` with a member per function and
 * `const struct da_dl_nbd *da_dl_nbd(const char **why)`: the loaded table
 * (loaded once, thread-safe), or NULL with *why the one line to show.
 *
 * DISKATLAS_DL_FAIL=NAME[,NAME...] (a soname prefix such as libntfs-3g, or
 * "all") makes the loader act as if that library were missing: tests use it.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_DL_H
#define DA_DL_H

#include <pthread.h>
#include <stddef.h>
#include <string.h>

struct da_dl_lib {
	const char *soname;       /* what dlopen opens */
	const char *need;         /* "NTFS support needs libntfs-3g" */
	const char *package;      /* the Debian package holding soname */
	const char *const *names; /* the functions, in the table's order */
	size_t count;
};

/* Opens lib and resolves its names into slots[0..count).  NULL on
 * success, else the one line saying what is missing (static storage, the
 * same line for every later call).  Call it once per library. */
const char *da_dl_load(const struct da_dl_lib *lib, void **slots);

#define DA_DL_MEMBER_(f) __typeof__(f) *f;
#define DA_DL_NAME_(f) #f,
#define DA_DL_COPY_(f) memcpy(&t->f, &slots[i++], sizeof(void *));

#define DA_DL_DECLARE(lib, FUNCS)                                          \
	struct da_dl_##lib { FUNCS(DA_DL_MEMBER_) };                       \
	const struct da_dl_##lib *da_dl_##lib(const char **why);

#define DA_DL_DEFINE(lib, FUNCS, soname, need, package)                    \
	static const char *const lib##_names[] = { FUNCS(DA_DL_NAME_) };   \
	static struct da_dl_##lib lib##_table;                             \
	static const char *lib##_why;                                      \
	static pthread_once_t lib##_once = PTHREAD_ONCE_INIT;              \
	static void lib##_load(void)                                       \
	{                                                                  \
		enum { N = sizeof(lib##_names) / sizeof(lib##_names[0]) }; \
		static const struct da_dl_lib l = { soname, need, package, \
						    lib##_names, N };      \
		void *slots[N];                                            \
		lib##_why = da_dl_load(&l, slots);                         \
		if (lib##_why)                                             \
			return;                                            \
		struct da_dl_##lib *t = &lib##_table;                      \
		size_t i = 0;                                              \
		FUNCS(DA_DL_COPY_)                                         \
	}                                                                  \
	const struct da_dl_##lib *da_dl_##lib(const char **why)            \
	{                                                                  \
		pthread_once(&lib##_once, lib##_load);                     \
		if (lib##_why) {                                           \
			if (why)                                           \
				*why = lib##_why;                          \
			return NULL;                                       \
		}                                                          \
		return &lib##_table;                                       \
	}

#endif
