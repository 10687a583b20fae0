/* The interactive explorer (ncurses).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_EXPLORER_H
#define DA_EXPLORER_H

struct da_machine;
struct da_ownership;

/* Run the explorer until the user quits; returns the exit status (0 on
 * q).  The machine is scanned and the ownership built; the explorer
 * builds file indexes in a background thread (da_machine_build_indexes)
 * and joins it before returning. */
int explorer_run(struct da_machine *m, struct da_ownership *o);

#endif
