/* The background work (bgindex.h).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <time.h>

#include "diskatlas.h"
#include "bgindex.h"

static void set_phase(struct bg_index *ix, enum bg_phase ph)
{
	__atomic_store_n(&ix->phase, (int)ph, __ATOMIC_RELEASE);
}

/* A test knob, DISKATLAS_TEST_BG_DELAY_MS=A[,B]: hold the settle back A
 * milliseconds and the file index B more, so that tests see the screens
 * before each ends. */
static void test_delay(int which)
{
	const char *s = getenv("DISKATLAS_TEST_BG_DELAY_MS");
	if (!s || !*s)
		return;
	char *end;
	long ms = strtol(s, &end, 10);
	if (which == 1)
		ms = *end == ',' ? strtol(end + 1, NULL, 10) : 0;
	if (ms > 0 && ms <= 600000) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
		nanosleep(&ts, NULL);
	}
}

static void *index_main(void *arg)
{
	struct bg_index *ix = arg;
	test_delay(0);
	/* settled apart, so that the screen can say which part runs; the
	 * index's own settle then finds every filesystem settled */
	da_machine_settle(ix->m);
	set_phase(ix, BG_INDEXING);
	test_delay(1);
	da_machine_build_indexes(ix->m);
	set_phase(ix, BG_READY);
	return NULL;
}

void bg_index_build(struct bg_index *ix, struct da_machine *m)
{
	ix->m = m;
	set_phase(ix, BG_SETTLING);
	index_main(ix);
}

void bg_index_start(struct bg_index *ix, struct da_machine *m)
{
	ix->m = m;
	/* before the thread exists: a restart (unlocking) is not ready */
	set_phase(ix, BG_SETTLING);
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

enum bg_phase bg_index_phase(const struct bg_index *ix)
{
	return (enum bg_phase)__atomic_load_n(&ix->phase, __ATOMIC_ACQUIRE);
}

bool bg_index_ready(const struct bg_index *ix)
{
	return bg_index_phase(ix) == BG_READY;
}

void bg_index_progress(const struct bg_index *ix, int *done, int *total)
{
	*done = ix->m ? __atomic_load_n(&ix->m->index_done, __ATOMIC_ACQUIRE) : 0;
	*total = ix->m ? __atomic_load_n(&ix->m->index_total, __ATOMIC_ACQUIRE) : 0;
}
