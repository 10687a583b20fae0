/* The file index, built in the background while the explorer runs.
 * The thread only calls da_machine_build_indexes; the screen reads its
 * progress (the machine's index_done/index_total) and whether it is done
 * without ever blocking on it.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_BGINDEX_H
#define DA_BGINDEX_H

#include <pthread.h>
#include <stdbool.h>

struct da_machine;

struct bg_index {
	struct da_machine *m;
	pthread_t thread;
	bool started;
	int ready;                 /* atomic: 1 when the build is done */
};

/* Start building m's file indexes in a thread (or now, when no thread
 * can be had: the map then waits). */
void bg_index_start(struct bg_index *ix, struct da_machine *m);
/* Build them now, in this thread (the frame benchmark). */
void bg_index_build(struct bg_index *ix, struct da_machine *m);
/* Wait for the thread, if one runs. */
void bg_index_join(struct bg_index *ix);
bool bg_index_ready(const struct bg_index *ix);
/* Indexes built so far and in all, for a progress line. */
void bg_index_progress(const struct bg_index *ix, int *done, int *total);

#endif
