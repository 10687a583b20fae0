/* The background work while the explorer runs: every filesystem's settle
 * (its maps: ext's group descriptors), then the file index.  The thread
 * only calls da_machine_settle and da_machine_build_indexes; the screen
 * reads which of the two runs, the index's progress (the machine's
 * index_done/index_total) and whether all is done without ever blocking
 * on it.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_BGINDEX_H
#define DA_BGINDEX_H

#include <pthread.h>
#include <stdbool.h>

struct da_machine;

/* What the background work is doing; zero (settling) until it starts,
 * since the first frame is drawn before the filesystems are settled. */
enum bg_phase {
	BG_SETTLING = 0,           /* reading the filesystems' maps */
	BG_INDEXING,               /* indexing their files */
	BG_READY,                  /* done */
};

struct bg_index {
	struct da_machine *m;
	pthread_t thread;
	bool started;
	int phase;                 /* atomic: an enum bg_phase */
};

/* Start m's settle and file indexes in a thread (or now, when no thread
 * can be had: the map then waits). */
void bg_index_start(struct bg_index *ix, struct da_machine *m);
/* Do them now, in this thread (the frame benchmark). */
void bg_index_build(struct bg_index *ix, struct da_machine *m);
/* Wait for the thread, if one runs. */
void bg_index_join(struct bg_index *ix);
bool bg_index_ready(const struct bg_index *ix);
enum bg_phase bg_index_phase(const struct bg_index *ix);
/* Indexes built so far and in all, for a progress line. */
void bg_index_progress(const struct bg_index *ix, int *done, int *total);

#endif
