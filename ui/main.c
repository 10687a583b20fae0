/* diskatlas: the command line.  Opens the disks, scans them, builds the
 * ownership index, then either prints (--list, --lookup, --map) or opens
 * the explorer.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "diskatlas.h"
#include "explorer.h"

enum mode { MODE_EXPLORE, MODE_LIST, MODE_LOOKUP, MODE_MAP };

static void usage(FILE *f)
{
	fputs("Usage: diskatlas [OPTION]... DISK...\n"
	      "       diskatlas --list [--json] DISK...\n"
	      "       diskatlas --lookup WHERE [--json] DISK...\n"
	      "       diskatlas --map [--width N] [--height N] DISK...\n"
	      "Explore who owns every block of disk images: partition tables,\n"
	      "LVM, filesystems, down to the file.\n"
	      "\n"
	      "  DISK               PATH or NAME=PATH (an image file or block device)\n"
	      "  -l, --list         print what the scan found, as a tree\n"
	      "  -L, --lookup WHERE print the owners of the byte at [NAME:]OFFSET,\n"
	      "                     NAME a disk or a volume (vg/lv);\n"
	      "                     OFFSET is bytes (decimal or 0x hex), with K/M/G/T\n"
	      "                     (powers of 1024) or s (512-byte sectors);\n"
	      "                     '-' reads one WHERE a line from standard input\n"
	      "  -m, --map          print the disk as a map of letters with a legend\n"
	      "      --width N      map width in cells (default 64)\n"
	      "      --height N     map height in cells (default 16)\n"
	      "      --color[=WHEN] colour the map: auto (on a terminal, unless\n"
	      "                     NO_COLOR is set or TERM=dumb), always, never\n"
	      "  -j, --json         JSON output (JSON Lines for --lookup -)\n"
	      "  -f, --format FMT   image format of the disks after it (raw)\n"
	      "  -k, --key-file FILE  unlock LUKS volumes with the bytes of FILE\n"
	      "  -K, --ask-key      ask for each locked LUKS volume's passphrase\n"
	      "                     on the terminal (not echoed)\n"
	      "  -d, --debug        trace probes and reads on stderr\n"
	      "  -h, --help         show this help\n"
	      "  -V, --version      show the version\n"
	      "\n"
	      "Without --list, --lookup or --map, the explorer opens (press ? in it).\n"
	      "Exit status: 0 success, 1 runtime error, 2 bad usage.\n", f);
}

/* Messages quote paths and arguments: they are escaped like any string
 * from outside, so that one message stays one line. */
static int fail(const char *msg)
{
	fputs("diskatlas: ", stderr);
	da_text_string(stderr, msg);
	fputc('\n', stderr);
	return 1;
}

static int bad_usage(const char *msg)
{
	fputs("diskatlas: ", stderr);
	da_text_string(stderr, msg);
	fputc('\n', stderr);
	fputs("Try 'diskatlas --help' for more information.\n", stderr);
	return 2;
}

/* A failed read or write of a standard stream: one line, status 1. */
static int stream_error(const char *which, int code)
{
	fprintf(stderr, "diskatlas: %s: %s\n", which,
		code ? strerror(code) : "input/output error");
	return 1;
}

/* The errno of the first failed write to standard output: stdio keeps
 * only a flag, so it is taken right after each piece of output, while
 * errno still says why. */
static int stdout_errno;

static bool stdout_failed(void)
{
	if (ferror(stdout) && !stdout_errno)
		stdout_errno = errno ? errno : EIO;
	return stdout_errno != 0;
}

/* Everything written must have reached standard output (a full disk, a
 * closed pipe): flush and close it, and say so when that fails. */
static int finish_stdout(int status)
{
	stdout_failed();
	errno = 0;
	if ((fflush(stdout) != 0 || ferror(stdout)) && !stdout_errno)
		stdout_errno = errno ? errno : EIO;
	errno = 0;
	if (fclose(stdout) != 0 && !stdout_errno)
		stdout_errno = errno ? errno : EIO;
	if (stdout_errno)
		return stream_error("standard output", stdout_errno);
	return status;
}

static int positive(const char *s, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > 100000)
		return -1;
	*out = (int)v;
	return 0;
}

/* --lookup -: one WHERE a line, one answer a line. */
static int lookup_stream(struct da_ownership *o, struct da_machine *m,
			 bool json)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int status = 0;
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	while (!stdout_failed() &&
	       (errno = 0, len = getline(&line, &cap, stdin)) > 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		size_t d;
		uint64_t off;
		da_error err = { 0 };
		if (da_resolve_where(o, m, line, &d, &off, &err) < 0) {
			status = 1;
			/* the line read, and the message that quotes it,
			 * escaped: one answer stays one line */
			if (json) {
				fputs("{\"where\":", stdout);
				da_json_string(stdout, line);
				fputs(",\"error\":", stdout);
				da_json_string(stdout, err.msg);
				fputs("}\n", stdout);
			} else {
				fputs("error: ", stdout);
				da_text_string(stdout, err.msg);
				fputc('\n', stdout);
			}
			continue;
		}
		da_report_lookup(stdout, o, m, d, off, json);
	}
	int code = errno;
	bool in_error = ferror(stdin);
	free(line);
	if (in_error)
		return stream_error("standard input", code);
	return status;
}

static const struct option opts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "lookup", required_argument, NULL, 'L' },
		{ "map", no_argument, NULL, 'm' },
		{ "width", required_argument, NULL, 'W' },
		{ "height", required_argument, NULL, 'H' },
		{ "color", optional_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "ask-key", no_argument, NULL, 'K' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
};

/* What an option's argument is called in the help. */
static const char *arg_name(int val)
{
	switch (val) {
	case 'L': return "WHERE";
	case 'f': return "FMT";
	case 'k': return "FILE";
	default: return "N";
	}
}

/* The usage error for what getopt_long refused (it prints nothing: opterr
 * is 0): c is ':' for a missing argument, '?' otherwise; arg is the
 * command-line word it stopped at. */
static int option_error(int c, const char *arg)
{
	char msg[200];
	const struct option *o = NULL;
	for (const struct option *p = opts; p->name; p++)
		if (optopt && p->val == optopt)
			o = p;
	/* the long form of o (rather than its short letter) was used */
	bool is_long = o && arg && !strncmp(arg, "--", 2) &&
		       !strncmp(arg + 2, o->name, strcspn(arg + 2, "="));
	if (c == ':' && o) {
		if (is_long)
			snprintf(msg, sizeof(msg), "--%s needs an argument (%s)",
				 o->name, arg_name(o->val));
		else
			snprintf(msg, sizeof(msg), "-%c needs an argument (%s)",
				 o->val, arg_name(o->val));
		return bad_usage(msg);
	}
	if (is_long) {
		snprintf(msg, sizeof(msg), "--%s takes no argument", o->name);
		return bad_usage(msg);
	}
	if (optopt) {
		snprintf(msg, sizeof(msg), "unknown option '-%c'", optopt);
		return bad_usage(msg);
	}
	/* a long option: unknown, or a prefix of several */
	const char *name = arg && !strncmp(arg, "--", 2) ? arg + 2 : "";
	int len = (int)strcspn(name, "=");
	int matches = 0;
	char which[160] = "";
	for (const struct option *p = opts; p->name; p++) {
		if (len && !strncmp(p->name, name, (size_t)len)) {
			size_t w = strlen(which);
			snprintf(which + w, sizeof(which) - w, "%s--%s",
				 matches++ ? ", " : "", p->name);
		}
	}
	if (len > 60)
		len = 60;
	if (matches > 1)
		snprintf(msg, sizeof(msg), "ambiguous option '--%.*s' (%s)",
			 len, name, which);
	else
		snprintf(msg, sizeof(msg), "unknown option '--%.*s'", len,
			 name);
	return bad_usage(msg);
}

/* --color=WHEN: auto colours a terminal, as NO_COLOR and TERM allow. */
static bool map_color(const char *when)
{
	if (!strcmp(when, "always"))
		return true;
	if (!strcmp(when, "never"))
		return false;
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
	return isatty(STDOUT_FILENO) && !(nc && *nc) && term && *term &&
	       strcmp(term, "dumb") != 0;
}

/* ---- keys for LUKS volumes: held only in da_secret_alloc memory ---- */

struct key_source {
	char *key;                 /* --key-file's bytes, or NULL */
	size_t len;
	bool ask;                  /* --ask-key */
};

/* The whole of a key file, as cryptsetup --key-file takes it (no newline
 * is stripped).  -1 with one line in msg. */
static int read_key_file(const char *path, struct key_source *k, char *msg,
			 size_t msglen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(msg, msglen, "--key-file %.200s: %s", path,
			 strerror(errno));
		return -1;
	}
	k->key = da_secret_alloc(DA_MAX_KEY + 1);
	if (!k->key) {
		close(fd);
		snprintf(msg, msglen, "--key-file: out of memory");
		return -1;
	}
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, k->key + n, DA_MAX_KEY + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(msg, msglen, "--key-file %.200s: %s", path,
				 strerror(errno));
			close(fd);
			return -1;
		}
		if (r == 0 || (n += (size_t)r) > DA_MAX_KEY)
			break;
	}
	close(fd);
	if (n > DA_MAX_KEY || n == 0) {
		snprintf(msg, msglen, "--key-file %.200s: %s", path,
			 n ? "larger than 64 KiB" : "empty");
		return -1;
	}
	k->len = n;
	return 0;
}

/* A passphrase from the terminal, without echo; the trailing newline is
 * not part of it. */
static int ask_passphrase(const char *volume, char *buf, size_t max)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct termios old, quiet;
	bool tty = tcgetattr(fd, &old) == 0;
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		tcsetattr(fd, TCSANOW, &quiet);
	}
	dprintf(fd, "Passphrase for %s: ", volume);
	size_t n = 0;
	char c;
	ssize_t r;
	while ((r = read(fd, &c, 1)) == 1 && c != '\n' && c != '\r')
		if (n < max)
			buf[n++] = c;
	c = 0;
	if (tty)
		tcsetattr(fd, TCSANOW, &old);
	dprintf(fd, "\n");
	close(fd);
	return r < 0 ? -1 : (int)n;
}

static int give_key(void *arg, const char *volume, char *buf, size_t max)
{
	struct key_source *k = arg;
	if (k->key) {
		size_t n = k->len < max ? k->len : max;
		memcpy(buf, k->key, n);
		return (int)n;
	}
	if (!k->ask)
		return -1;
	int n = ask_passphrase(volume, buf, max);
	return n > 0 ? n : -1;     /* an empty line leaves it locked */
}

int main(int argc, char **argv)
{
	struct key_source keys = { NULL, 0, false };
	enum mode mode = MODE_EXPLORE;
	const char *where = NULL;
	bool json = false;
	int width = 64, height = 16;
	const char *color_when = "auto";
	const char *e = getenv("DISKATLAS_DEBUG");
	if (e && *e && strcmp(e, "0"))
		da_debug = 1;

	int c;
	opterr = 0;
	const char *key_file = NULL;
	while ((c = getopt_long(argc, argv, ":lL:mjf:k:KdhV", opts, NULL)) != -1) {
		switch (c) {
		case 'l': mode = MODE_LIST; break;
		case 'L': mode = MODE_LOOKUP; where = optarg; break;
		case 'm': mode = MODE_MAP; break;
		case 'W':
			if (positive(optarg, &width) < 0)
				return bad_usage("--width wants a number from 1 to 100000");
			break;
		case 'H':
			if (positive(optarg, &height) < 0)
				return bad_usage("--height wants a number from 1 to 100000");
			break;
		case 'C':
			color_when = optarg ? optarg : "always";
			if (strcmp(color_when, "auto") &&
			    strcmp(color_when, "always") &&
			    strcmp(color_when, "never"))
				return bad_usage("--color wants auto, always or never");
			break;
		case 'j': json = true; break;
		case 'f':
			if (strcmp(optarg, "raw") != 0) {
				char msg[160];
				snprintf(msg, sizeof(msg), "--format %.60s: only raw "
					 "images are supported in this build", optarg);
				return bad_usage(msg);
			}
			break;
		case 'k': key_file = optarg; break;
		case 'K': keys.ask = true; break;
		case 'd': da_debug = 1; break;
		case 'h':
			usage(stdout);
			return finish_stdout(0);
		case 'V':
			printf("diskatlas %s\n", DA_VERSION);
			return finish_stdout(0);
		default: return option_error(c, argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return bad_usage("no disk given");
	if (json && (mode == MODE_EXPLORE || mode == MODE_MAP))
		return bad_usage("--json goes with --list or --lookup");

	if (key_file && keys.ask)
		return bad_usage("--key-file and --ask-key: give one of them");

	da_error err = { 0 };
	if (key_file && read_key_file(key_file, &keys, err.msg,
				      sizeof(err.msg)) < 0) {
		da_secret_free(keys.key, DA_MAX_KEY + 1);
		return fail(err.msg);
	}
	struct da_machine *m = da_machine_open("machine",
					       (const char *const *)argv + optind,
					       (size_t)(argc - optind), &err);
	if (!m) {
		da_secret_free(keys.key, DA_MAX_KEY + 1);
		return fail(err.msg);
	}
	if (key_file || keys.ask)
		da_machine_set_key_source(m, give_key, &keys);
	int scanned = da_machine_scan(m, &err);
	/* every volume that could be opened has been: the key goes now */
	da_secret_free(keys.key, DA_MAX_KEY + 1);
	keys.key = NULL;
	keys.ask = false;
	if (scanned < 0) {
		da_machine_close(m);
		return fail(err.msg);
	}
	int status = 0;
	if (mode == MODE_LIST) {
		/* the directory trees: what they find wrong (a cluster two
		 * files claim, a cut chain) is part of what the scan found */
		da_machine_build_indexes(m, &err);
		da_report_list(stdout, m, json);
		stdout_failed();
	} else {
		size_t d = 0;
		uint64_t off = 0;
		struct da_device *dev;
		/* before the ownership build: a typo fails at once */
		if (mode == MODE_LOOKUP && strcmp(where, "-") != 0 &&
		    da_parse_where_dev(m, where, &dev, &off, &err) < 0) {
			da_machine_close(m);
			return fail(err.msg);
		}
		struct da_ownership *o = da_ownership_build(m, &err);
		if (!o) {
			da_machine_close(m);
			return fail(err.msg);
		}
		if (mode == MODE_LOOKUP) {
			da_machine_build_indexes(m, &err);
			if (strcmp(where, "-") == 0)
				status = lookup_stream(o, m, json);
			else if (da_resolve_where(o, m, where, &d, &off,
						  &err) < 0)
				status = fail(err.msg);
			else
				da_report_lookup(stdout, o, m, d, off, json);
			stdout_failed();
		} else if (mode == MODE_MAP) {
			bool color = map_color(color_when);
			for (size_t i = 0; i < m->ndisks && !stdout_failed(); i++)
				da_report_map(stdout, o, m, i, width, height,
					      color);
		} else {
			status = explorer_run(m, o);
		}
		da_ownership_free(o);
	}
	fflush(stdout);         /* what was printed comes before the problems */
	for (size_t i = 0; i < m->nproblems; i++)
		status = fail(m->problems[i]);
	da_machine_close(m);
	return finish_stdout(status);
}
