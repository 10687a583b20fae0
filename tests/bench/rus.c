/* rus: run a command and print the CPU time (user + system, seconds) and
 * peak resident memory (KiB) it used, from wait4's rusage: microsecond
 * CPU figures where GNU time prints hundredths.  With -n N the command runs
 * N times and the medians are printed; -i FILE gives each run FILE as its
 * standard input; -p COLSxROWS runs it on a pseudo-terminal of that size
 * (for the explorer) and drains what it draws; -t SECONDS ends a run that
 * takes longer (SIGALRM).  Output: "CPU RSS_KIB".
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int usage(void)
{
	fprintf(stderr, "usage: rus [-n N] [-i FILE] [-p COLSxROWS] [-t SECONDS] CMD [ARG]...\n");
	return 2;
}

/* one run; -1 when it could not start or did not exit 0 */
static int run(char **argv, const char *in, const struct winsize *ws,
	       unsigned limit, double *cpu, double *rss)
{
	int master = -1;
	pid_t pid;
	if (ws) {
		pid = forkpty(&master, NULL, NULL, ws);
	} else {
		pid = fork();
	}
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (in) {
			int fd = open(in, O_RDONLY);
			if (fd < 0 || dup2(fd, 0) < 0)
				_exit(126);
			close(fd);
		}
		if (!ws) {
			int null = open("/dev/null", O_WRONLY);
			if (null >= 0)
				dup2(null, 1);
		}
		alarm(limit);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (master >= 0) {
		char buf[65536];
		while (read(master, buf, sizeof(buf)) > 0)
			;
		close(master);
	}
	int st;
	struct rusage ru;
	if (wait4(pid, &st, 0, &ru) < 0)
		return -1;
	*cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	*rss = (double)ru.ru_maxrss;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "rus: %s: %s %d\n", argv[0],
			WIFEXITED(st) ? "exit status" : "signal",
			WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int n = 1, opt;
	unsigned limit = 0;
	const char *in = NULL;
	struct winsize ws = { 0 }, *wsp = NULL;
	while ((opt = getopt(argc, argv, "+n:i:p:t:")) != -1) {
		if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 't')
			limit = (unsigned)atoi(optarg);
		else if (opt == 'i')
			in = optarg;
		else if (opt == 'p') {
			unsigned c, r;
			if (sscanf(optarg, "%ux%u", &c, &r) != 2)
				return usage();
			ws.ws_col = (unsigned short)c;
			ws.ws_row = (unsigned short)r;
			wsp = &ws;
		} else
			return usage();
	}
	if (optind >= argc || n < 1 || n > 1000)
		return usage();
	double *cpu = calloc((size_t)n, sizeof(*cpu));
	double *rss = calloc((size_t)n, sizeof(*rss));
	if (!cpu || !rss)
		return 1;
	int status = 0;
	for (int k = 0; k < n; k++)
		if (run(argv + optind, in, wsp, limit, &cpu[k], &rss[k]) < 0)
			status = 1;
	qsort(cpu, (size_t)n, sizeof(*cpu), cmp_double);
	qsort(rss, (size_t)n, sizeof(*rss), cmp_double);
	printf("%.6f %.0f\n", cpu[n / 2], rss[n / 2]);
	free(cpu);
	free(rss);
	return status;
}
