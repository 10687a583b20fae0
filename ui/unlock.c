/* Enter on a locked LUKS volume: ask its passphrase on the status line
 * (nothing is echoed, not even stars), unlock it, and show the machine
 * again with the opened volume and whatever it holds.  The passphrase
 * lives only in da_secret_alloc memory and is wiped at once.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ui.h"

/* The locked LUKS node whose payload is under the cursor (on its headers
 * and key slots Enter goes into the space as anywhere else). */
static struct da_node *locked_luks(struct ui *u)
{
	struct da_location at;
	struct da_owner w[UI_MAX_OWNERS];
	int n = view_cursor_owners(u, &at, w, false);
	for (int i = n - 1; i >= 0; i--) {
		struct da_node *node = w[i].node;
		if (!node || node->type != DA_NODE_LUKS)
			continue;
		struct da_value *st = da_obj_get(node->props, "state");
		if (st && st->type == DA_V_STR && !strcmp(st->u.s, "locked") &&
		    w[i].role && !strcmp(w[i].role, "encrypted"))
			return node;
		return NULL;
	}
	return NULL;
}

/* The passphrase, read key by key on the status line; -1 on Esc. */
static int read_passphrase(struct ui *u, const char *what, char *buf,
			   size_t max)
{
	char line[300];
	snprintf(line, sizeof(line), " Passphrase for %s (Esc cancels): ",
		 what);
	role_on(ROLE_PROMPT);
	move(u->status.y, 0);
	clrtoeol();
	put_text(u->status.y, 0, u->cols, line);
	role_on(ROLE_TEXT);
	refresh();
	size_t n = 0;
	for (;;) {
		wint_t ch;
		int r = get_wch(&ch);
		if (r == ERR) {
			if (ui_signal || ui_input_gone())
				return -1;
			continue;              /* the input timeout's tick */
		}
		if (r == KEY_CODE_YES) {
			if (ch == KEY_ENTER)
				break;
			if (ch == KEY_BACKSPACE && n)
				n--;
			continue;
		}
		if (ch == 27)
			return -1;
		if (ch == '\r' || ch == '\n')
			break;
		if ((ch == 127 || ch == 8) && n) {
			n--;
			continue;
		}
		/* the key as the terminal's bytes (UTF-8) */
		char mb[MB_LEN_MAX];
		mbstate_t st;
		memset(&st, 0, sizeof(st));
		size_t k = wcrtomb(mb, (wchar_t)ch, &st);
		if (k != (size_t)-1 && n + k <= max) {
			memcpy(buf + n, mb, k);
			n += k;
		}
		explicit_bzero(mb, sizeof(mb));
	}
	return (int)n;
}

/* The ownership index this module made: the first one belongs to the
 * caller of explorer_run, which frees it. */
static struct da_ownership *ours;

void unlock_cleanup(void)
{
	da_ownership_free(ours);
	ours = NULL;
}

/* The machine changed (a volume and its contents were added): a new
 * ownership index, colours and caches; the file index runs again for
 * what is new (what was indexed stays so). */
static void reload(struct ui *u)
{
	da_error err = { 0 };
	struct da_ownership *o = da_ownership_build(u->m, &err);
	if (!o && err.code == ENOMEM)
		da_out_of_memory();        /* gives the terminal back first */
	if (!o) {
		ui_message(u, true, "%s", err.msg);
		return;
	}
	da_ownership_free(ours);
	ours = u->o = o;
	u->cache.valid = false;
	u->files.valid = false;
	u->colors = colors_init(u->colors, u->unicode, u->o);
	__atomic_store_n(&u->m->index_done, 0, __ATOMIC_RELEASE);
	bg_index_start(&u->index, u->m);   /* not ready until it is done */
}

bool unlock_at_cursor(struct ui *u)
{
	struct da_node *n = locked_luks(u);
	if (!n)
		return false;
	if (u->line_mode) {
		ui_message(u, true, "locked: give --key-file FILE or --ask-key "
			   "to open it");
		return true;
	}
	char *key = da_secret_alloc(DA_MAX_KEY);
	if (!key) {
		ui_message(u, true, "no memory for a key");
		return true;
	}
	struct da_value *uuid = da_obj_get(n->props, "uuid");
	char what[128];
	snprintf(what, sizeof(what), "luks-%s",
		 uuid && uuid->type == DA_V_STR ? uuid->u.s : n->dev->name);
	int len = read_passphrase(u, what, key, DA_MAX_KEY);
	if (len < 0) {
		da_secret_free(key, DA_MAX_KEY);
		ui_message(u, false, "not unlocked");
		return true;
	}
	/* the key is being derived: say so on the status line */
	put_text(u->status.y, 0, u->cols, "unlocking...");
	refresh();
	/* the machine is about to grow: the file index must not be walking it */
	bg_index_join(&u->index);
	da_error err = { 0 };
	size_t before = u->m->nvolumes;
	int r = da_luks_unlock(u->m, n, key, (size_t)len, &err);
	da_secret_free(key, DA_MAX_KEY);
	if (r < 0) {
		ui_message(u, true, "%s", err.msg);
		bg_index_start(&u->index, u->m);
		return true;
	}
	reload(u);
	size_t inside = u->m->nvolumes - before - 1;
	if (inside)
		ui_message(u, false, "unlocked %s and the %zu volume%s in it: "
			   "Enter goes into it", what, inside,
			   inside == 1 ? "" : "s");
	else
		ui_message(u, false, "unlocked %s: Enter goes into it", what);
	return true;
}
