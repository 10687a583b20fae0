/* qemu's tools, started by us for an image file.  qemu-nbd: socket activation on a
 * socket with an abstract address, rather than libnbd's
 * nbd_connect_systemd_socket_activation, which binds its socket in a
 * /tmp/libnbdXXXXXX directory that only nbd_close removes (every run ended
 * by a signal left one behind).  An abstract address is nothing in the
 * filesystem: no exit, however abrupt, leaves anything.  The child never
 * outlives us: without --persistent qemu-nbd ends when its one client
 * goes once the handshake is done, and PR_SET_PDEATHSIG ends it if we die
 * before.  nbd.c connects libnbd to the socket.  qemu-img check: the
 * format's own check of the file (a table that points past its end).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../util.h"
#include "qemu_nbd.h"

/* Waits at most ms for child pid to end, with naps that grow: 1 when it
 * ended and was reaped (its wait status in *status, which may be NULL),
 * 0 when it still runs, -1 when it is not ours to wait for (reaped
 * elsewhere, or SIGCHLD ignored: it is gone). */
static int wait_upto(pid_t pid, long ms, int *status)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long nap = 100;                      /* microseconds */
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
			return 0;
		struct timespec ts = { 0, nap * 1000 };
		nanosleep(&ts, NULL);
		nap = nap < 20000 ? nap * 2 : 20000;
	}
}

/* Waits for our qemu-nbd to end, and reaps it.  It ends by itself when
 * its client goes (usually within milliseconds); one that does not is
 * asked to, then made to, so that a close never hangs. */
void qemu_nbd_reap(pid_t pid)
{
	static const struct { int sig; long ms; } steps[] = {
		{ 0, 3000 }, { SIGTERM, 1000 }, { SIGKILL, 1000 },
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		/* waitpid said 0 just before: still our unreaped child, so
		 * its pid cannot have gone to another process */
		if (steps[i].sig) {
			if (da_debug)
				da_trace("qemu-nbd %ld did not end: signal %d",
					 (long)pid, steps[i].sig);
			kill(pid, steps[i].sig);
		}
		if (wait_upto(pid, steps[i].ms, NULL) != 0)
			return;
	}
	/* not even SIGKILL ended it (stuck in the kernel): it stays a
	 * zombie until we end, rather than hang us */
}

/* The file execvp would run for cmd, looked up before fork; NULL when
 * there is none. */
static char *find_in_path(const char *cmd)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (;;) {
		size_t n = strcspn(path, ":");
		char *f = da_asprintf("%.*s/%s", (int)n, n ? path : ".", cmd);
		struct stat st;
		if (stat(f, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(f, X_OK) == 0)
			return f;
		free(f);
		if (!path[n])
			return NULL;
		path += n + 1;
	}
}

/* fd moved above 3 (and close-on-exec), so that the child's dup2 onto
 * 0-3 never overwrites another of its sources (we may have been started
 * with 0, 1 or 2 closed); -1 when it cannot be. */
static int above3(int fd)
{
	if (fd < 0 || fd > 3)
		return fd;
	int n = fcntl(fd, F_DUPFD_CLOEXEC, 4);
	int e = errno;
	close(fd);
	errno = e;
	return n;
}

/* qemu would read a path starting with '-' as an option, and one whose
 * first ':' comes before any '/' as a protocol (json:, nbd:, ssh:...):
 * such a relative path goes as "./path". */
static char *qemu_path(const char *path)
{
	if (path[0] == '-' || path[strcspn(path, ":/")] == ':')
		return da_asprintf("./%s", path);
	return da_strdup(path);
}

/* Everything the child needs, made before fork: after fork, in a process
 * that may have threads, it makes only async-signal-safe calls. */
struct spawn {
	const char *exe;
	char *const *argv;
	char **envp;
	char *pid_var;             /* envp's "LISTEN_PID=", digits to come */
	/* all above 3, or -1; no listen_fd: not socket activation, and
	 * stdout goes to msg_fd too */
	int listen_fd, null_fd, msg_fd;
	pid_t parent;
	bool deathsig;
};

#define SPAWN_FAILED "diskatlas-spawn: "

/* v in decimal at p; the end.  For the child between fork and exec,
 * where snprintf is not safe. */
static char *put_decimal(char *p, unsigned long v)
{
	char digits[24];
	size_t d = 0;
	do {
		digits[d++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (d)
		*p++ = digits[--d];
	return p;
}

/* s at p, at most max bytes; the end (the same for the child). */
static char *put_text(char *p, const char *s, size_t max)
{
	for (; *s && max; s++, max--)
		*p++ = *s;
	return p;
}

/* In the child: "diskatlas-spawn: WHAT errno N" to the memfd, then out. */
static _Noreturn void child_fail(const char *what, int e)
{
	char line[96];
	char *p = put_text(line, SPAWN_FAILED, sizeof(SPAWN_FAILED));
	p = put_text(p, what, 40);
	p = put_text(p, " errno ", 8);
	p = put_decimal(p, e > 0 ? (unsigned long)e : 0);
	*p++ = '\n';
	ssize_t w = write(STDERR_FILENO, line, (size_t)(p - line));
	(void)w;
	_exit(127);
}

static _Noreturn void child_main(const struct spawn *s)
{
	/* 0 and 1: /dev/null (qemu-nbd uses neither, and a pipe we read or
	 * write must not stay open in it); 2: the memfd, so that what it
	 * says becomes our one line and never lands on the explorer's
	 * screen; 3: the listening socket, LISTEN_FDS=1 */
	if (s->null_fd >= 0) {
		dup2(s->null_fd, STDIN_FILENO);
		dup2(s->null_fd, STDOUT_FILENO);
	}
	if (s->msg_fd >= 0)
		dup2(s->msg_fd, STDERR_FILENO);
	else if (s->null_fd >= 0)
		dup2(s->null_fd, STDERR_FILENO);
	if (s->listen_fd < 0 && s->msg_fd >= 0)
		dup2(s->msg_fd, STDOUT_FILENO);
	if (s->listen_fd >= 0 && dup2(s->listen_fd, 3) < 0)
		child_fail("dup2", errno);  /* dup2 clears close-on-exec */
	/* nothing else of ours: a connection of another image held open
	 * here would keep that image's server alive after we end */
	close_range(s->listen_fd >= 0 ? 4 : 3, ~0U, 0);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGTERM, &dfl, NULL);    /* an ignored one survives exec */
	if (s->deathsig) {
		/* ends it if we die before the handshake is done (qemu-nbd
		 * waits for ever on a client gone before that).  SIGKILL, as
		 * qemu-nbd loses a SIGTERM that comes while it starts, and a
		 * read-only server has nothing to save */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != s->parent)
			_exit(1);                  /* we died before prctl */
	}
	if (s->pid_var)
		*put_decimal(s->pid_var + strlen("LISTEN_PID="),
			     (unsigned long)getpid()) = '\0';
	execve(s->exe, s->argv, s->envp);
	child_fail("exec", errno);
}

/* Our environment for the child, without LISTEN_* variables of our own
 * parent's, plus LISTEN_PID (its room in *pid_var) and LISTEN_FDS=1. */
static char **child_env(char **pid_var)
{
	extern char **environ;
	static char fds[] = "LISTEN_FDS=1";
	size_t n = 0;
	for (char **e = environ; e && *e; e++)
		n++;
	char **env = da_xcalloc(n + 3, sizeof(*env));
	size_t k = 0;
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "LISTEN_PID=", 11) && strncmp(*e, "LISTEN_FDS=", 11) &&
		    strncmp(*e, "LISTEN_FDNAMES=", 15))
			env[k++] = *e;
	*pid_var = da_xcalloc(1, 32);
	strcpy(*pid_var, "LISTEN_PID=");
	env[k++] = *pid_var;
	env[k++] = fds;
	env[k] = NULL;
	return env;
}

static uint64_t name_salt(void)
{
	uint64_t r;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r))
		return r;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) *
	       0x9e3779b97f4a7c15u ^ (uint64_t)(uintptr_t)&r;
}

/* A listening socket on a fresh abstract address (sun_path[0] = '\0':
 * a name in no filesystem, gone with its last descriptor) in *lfd, and
 * our connection to it in *cfd, made before the server exists.  Anyone
 * in our network namespace may connect to an abstract address: with a
 * backlog of 0 the queue holds one connection, so ours getting in means
 * nobody else's is there, and qemu-nbd (one client: --shared=1) serves
 * ours and no other.  name gets the address; -1 with *doing and errno. */
static int listen_and_connect(unsigned call, int *lfd, int *cfd,
			      char name[static 108], const char **doing)
{
	for (int tries = 0; tries < 8; tries++) {
		*doing = "socket";
		int l = above3(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
		if (l < 0)
			return -1;
		struct sockaddr_un a;
		memset(&a, 0, sizeof(a));
		a.sun_family = AF_UNIX;
		int n = snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1,
				 "diskatlas-nbd-%ld-%u-%016llx", (long)getpid(),
				 call, (unsigned long long)name_salt());
		socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un,
						      sun_path) + 1 + (size_t)n);
		int e = 0;
		*doing = "bind";
		if (bind(l, (struct sockaddr *)&a, alen) < 0) {
			e = errno;
			close(l);
			if (e == EADDRINUSE)
				continue;
			errno = e;
			return -1;
		}
		*doing = "listen";
		if (listen(l, 0) < 0)
			goto fail;
		*doing = "socket";
		int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			       0);
		if (c < 0)
			goto fail;
		*doing = "connect";
		if (connect(c, (struct sockaddr *)&a, alen) < 0) {
			e = errno;
			close(c);
			close(l);
			if (e == EAGAIN)
				continue;     /* another's connection came first */
			errno = e;
			return -1;
		}
		*lfd = l;
		*cfd = c;
		snprintf(name, 108, "%s", a.sun_path + 1);
		return 0;
fail:
		e = errno;
		close(l);
		errno = e;
		return -1;
	}
	*doing = "an abstract socket of our own";
	errno = EADDRINUSE;
	return -1;
}

/* Starts `qemu-nbd --read-only -f format path` (exe) by socket
 * activation on a socket with an abstract address, and connects to it:
 * *sock is our end, *pid the child.  Its stderr goes to msg (-1:
 * /dev/null).  -1 with err on failure. */
int qemu_nbd_spawn(const char *exe, const char *path, const char *format,
			int msg, pid_t *pid, int *sock, da_error *err)
{
	static unsigned counter;
	unsigned call = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
	int lfd = -1, cfd = -1, null = -1;
	char *qpath = qemu_path(path);
	char *pid_var = NULL;
	char **env = NULL;
	char name[108];
	int rc = -1;
	const char *doing;

	if (listen_and_connect(call, &lfd, &cfd, name, &doing) < 0)
		goto fail;
	null = above3(open("/dev/null", O_RDWR | O_CLOEXEC));

	char *argv[] = { "qemu-nbd", "--read-only", "-f", (char *)format,
			 qpath, NULL };
	env = child_env(&pid_var);
	struct spawn s = {
		.exe = exe, .argv = argv, .envp = env, .pid_var = pid_var,
		.listen_fd = lfd, .null_fd = null, .msg_fd = msg,
		.parent = getpid(),
		/* PR_SET_PDEATHSIG fires when the thread that forked ends:
		 * off the main thread it would end a server still in use.
		 * (Images are opened on the main thread; elsewhere, a death
		 * during the handshake would leave the child waiting) */
		.deathsig = gettid() == getpid(),
	};
	doing = "fork";
	pid_t child = fork();
	if (child < 0)
		goto fail;
	if (child == 0)
		child_main(&s);
	*pid = child;
	*sock = cfd;
	cfd = -1;
	rc = 0;
	if (da_debug)
		da_trace("qemu-nbd %ld serves %s on @%s", (long)child, path,
			 name);
fail:
	if (rc < 0)
		da_error_set(err, errno, "%s: cannot start qemu-nbd: %s: %s",
			     path, doing, strerror(errno));
	if (lfd >= 0)
		close(lfd);
	if (cfd >= 0)
		close(cfd);
	if (null >= 0)
		close(null);
	free(env);
	free(pid_var);
	free(qpath);
	return rc;
}

/* Why qemu-nbd did not serve path: its own first line (the memfd msg),
 * or why it did not start; libnbd's error when it said nothing. */
void qemu_nbd_why(const char *path, const char *exe, int msg,
		       const char *nbd_error, int nbd_errno, da_error *err)
{
	char line[300] = "";
	if (msg >= 0) {
		ssize_t n = pread(msg, line, sizeof(line) - 1, 0);
		line[n > 0 ? n : 0] = '\0';
		line[strcspn(line, "\n")] = '\0';
	}
	char what[48];
	int e;
	if (!strncmp(line, SPAWN_FAILED, strlen(SPAWN_FAILED)) &&
	    sscanf(line + strlen(SPAWN_FAILED), "%47s errno %d", what, &e) == 2) {
		if (!strcmp(what, "exec"))
			da_error_set(err, e, "%s: cannot run %s: %s", path, exe,
				     strerror(e));
		else
			da_error_set(err, e, "%s: cannot start qemu-nbd: %s: %s",
				     path, what, strerror(e));
		return;
	}
	const char *why = !strncmp(line, "qemu-nbd: ", 10) ? line + 10 : line;
	if (why[0])
		da_error_set(err, EINVAL, "%s: qemu-nbd cannot serve it: %s",
			     path, why);
	else
		da_error_set(err, nbd_errno ? nbd_errno : EIO,
			     "%s: qemu-nbd cannot serve it: %s", path,
			     nbd_error[0] ? nbd_error : "NBD error");
}

void qemu_nbd_kill(pid_t pid)
{
	kill(pid, SIGKILL);
	qemu_nbd_reap(pid);
}

char *qemu_nbd_find(void)
{
	return find_in_path("qemu-nbd");
}

int qemu_nbd_msg_fd(void)
{
	return above3(memfd_create("qemu-nbd-stderr", MFD_CLOEXEC));
}

/* Waits at most ms for child pid to end: its wait status in *status and
 * 0; -1 when it did not end in time (it is then killed and reaped). */
static int wait_for(pid_t pid, long ms, int *status)
{
	int r = wait_upto(pid, ms, status);
	if (r == 0)
		qemu_nbd_kill(pid);
	return r == 1 ? 0 : -1;
}

/* The line of qemu-img check's output that says what is wrong: its first
 * ERROR, else its first message that is not the closing "Check failed",
 * else its first line; into out, without qemu's prefixes. */
static void check_line(char *text, char *out, size_t len)
{
	const char *pick = NULL, *first = NULL;
	for (char *l = text; *l && !pick;) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		if (!strncmp(l, "ERROR", 5))
			pick = l;
		else if (!first && l[0] &&
			 strncmp(l, "qemu-img: Check failed", 22))
			first = l;
		l = nl ? nl + 1 : l + strlen(l);
	}
	if (!pick)
		pick = first ? first : "qemu-img check failed";
	if (!strncmp(pick, "ERROR: ", 7))
		pick += 7;
	else if (!strncmp(pick, "ERROR ", 6))
		pick += 6;
	else if (!strncmp(pick, "qemu-img: ", 10))
		pick += 10;
	snprintf(out, len, "%s", pick);
}

char *qemu_img_check(const char *path, const char *format, long ms)
{
	char *exe = find_in_path("qemu-img");
	if (!exe)
		return NULL;
	char *qpath = qemu_path(path);
	char *argv[] = { "qemu-img", "check", "-f", (char *)format, qpath,
			 NULL };
	extern char **environ;
	int msg = qemu_nbd_msg_fd();
	int null = above3(open("/dev/null", O_RDWR | O_CLOEXEC));
	struct spawn s = {
		.exe = exe, .argv = argv, .envp = environ, .listen_fd = -1,
		.null_fd = null, .msg_fd = msg, .parent = getpid(),
		.deathsig = gettid() == getpid(),
	};
	char *damage = NULL;
	int status = 0;
	pid_t child = msg >= 0 ? fork() : -1;
	if (child == 0)
		child_main(&s);
	if (child > 0 && wait_for(child, ms, &status) == 0 &&
	    WIFEXITED(status) &&
	    (WEXITSTATUS(status) == 1 || WEXITSTATUS(status) == 2)) {
		/* 1: the check could not finish (what stopped it is the
		 * damage), 2: corruptions; 0 clean, 3 leaks only (space
		 * the image wastes), 63 a format it does not check */
		char text[4096];
		ssize_t n = pread(msg, text, sizeof(text) - 1, 0);
		text[n > 0 ? n : 0] = '\0';
		char line[240];
		check_line(text, line, sizeof(line));
		damage = da_asprintf("qemu-img check: %s", line);
	}
	if (da_debug)
		da_trace("qemu-img check %s: %s", path,
			 child < 0 ? "not run" : damage ? damage : "no damage");
	if (msg >= 0)
		close(msg);
	if (null >= 0)
		close(null);
	free(qpath);
	free(exe);
	return damage;
}
