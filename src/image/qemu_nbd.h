/* qemu-nbd, started by us for an image file (qemu_nbd.c).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_QEMU_NBD_H
#define DA_QEMU_NBD_H
#include <sys/types.h>

#include "../diskatlas.h"

/* The qemu-nbd execvp would run, looked up in PATH (before any fork);
 * NULL when there is none.  Freed by the caller. */
char *qemu_nbd_find(void);
/* A file for the child's stderr (a memfd, close-on-exec, above 3), so
 * that what qemu-nbd says becomes our one line and never lands on the
 * explorer's screen; -1 when none can be made (it then goes nowhere). */
int qemu_nbd_msg_fd(void);
/* Starts `qemu-nbd --read-only -f format path` (exe) by socket
 * activation on a socket with an abstract address and connects to it:
 * *sock is our end, *pid the child; its stderr goes to msg.  -1 with err
 * when it cannot. */
int qemu_nbd_spawn(const char *exe, const char *path, const char *format,
		   int msg, pid_t *pid, int *sock, da_error *err);
/* Why the server did not serve path, into err: qemu-nbd's first line in
 * msg, why the child did not start, or libnbd's error (nbd_error,
 * nbd_errno) when it said nothing.  Call after qemu_nbd_reap. */
void qemu_nbd_why(const char *path, const char *exe, int msg,
		  const char *nbd_error, int nbd_errno, da_error *err);
/* Waits for the child to end and reaps it: it ends by itself when its
 * client goes; one that does not is sent SIGTERM, then SIGKILL, so that
 * this never hangs. */
void qemu_nbd_reap(pid_t pid);
/* Ends the child at once (SIGKILL: one stuck opening a file would not
 * see a SIGTERM) and reaps it. */
void qemu_nbd_kill(pid_t pid);
/* What `qemu-img check -f format path` finds wrong with the file (a table
 * that points past its end: a truncated image), as one line to free;
 * NULL when it finds nothing, when the format has no check, or when
 * qemu-img is missing or does not finish within ms. */
char *qemu_img_check(const char *path, const char *format, long ms);

#endif
