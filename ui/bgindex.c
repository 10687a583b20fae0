/* The background file index (bgindex.h).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <time.h>

#include "diskatlas.h"
#include "bgindex.h"

static void *index_main(void *arg)
{
	struct bg_index *ix = arg;
	/* a test knob: hold the background work back this many
	 * milliseconds, so that tests see the screen before it ends */
	const char *delay = getenv("DISKATLAS_TEST_BG_DELAY_MS");
	if (delay && *delay) {
		long ms = strtol(delay, NULL, 10);
		if (ms > 0 && ms <= 600000) {
			struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
			nanosleep(&ts, NULL);
		}
	}
	da_machine_build_indexes(ix->m);
	__atomic_store_n(&ix->ready, 1, __ATOMIC_RELEASE);
	return NULL;
}

void bg_index_build(struct bg_index *ix, struct da_machine *m)
{
	ix->m = m;
	index_main(ix);
}

void bg_index_start(struct bg_index *ix, struct da_machine *m)
{
	ix->m = m;
	if (pthread_create(&ix->thread, NULL, index_main, ix) == 0)
		ix->started = true;
	else
		index_main(ix);
}

void bg_index_join(struct bg_index *ix)
{
	if (ix->started)
		pthread_join(ix->thread, NULL);
	ix->started = false;
}

bool bg_index_ready(const struct bg_index *ix)
{
	return __atomic_load_n(&ix->ready, __ATOMIC_ACQUIRE) != 0;
}

void bg_index_progress(const struct bg_index *ix, int *done, int *total)
{
	*done = ix->m ? __atomic_load_n(&ix->m->index_done, __ATOMIC_ACQUIRE) : 0;
	*total = ix->m ? __atomic_load_n(&ix->m->index_total, __ATOMIC_ACQUIRE) : 0;
}
