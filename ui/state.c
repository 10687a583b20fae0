/* struct ui's life, and the message the status bar shows.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

int ui_alloc(struct ui *u, struct da_machine *m, struct da_ownership *o)
{
	memset(u, 0, sizeof(*u));
	u->m = m;
	u->o = o;
	if (!m->ndisks)
		return -1;
	u->stacks = calloc(m->ndisks, sizeof(*u->stacks));
	u->depths = calloc(m->ndisks, sizeof(*u->depths));
	if (!u->stacks || !u->depths)
		return -1;
	for (size_t d = 0; d < m->ndisks; d++)
		u->depths[d] = 1;
	return 0;
}

void ui_free(struct ui *u)
{
	colors_free();
	free(u->stacks);
	free(u->depths);
	free(u->cells);
	free(u->fams);
	free(u->fills);
	free(u->side_lines);
	free(u->on_screen);
	free(u->tree_rows);
}

void ui_message(struct ui *u, bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(u->msg, sizeof(u->msg), fmt, ap);
	va_end(ap);
	u->msg_error = error;
}
