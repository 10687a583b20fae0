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
#include <sys/stat.h>
#include <unistd.h>

#include "diskatlas.h"
#include "explorer.h"

enum mode { MODE_EXPLORE, MODE_LIST, MODE_LOOKUP, MODE_MAP, MODE_CAT };

static void usage(FILE *f)
{
	fputs("Usage: diskatlas [OPTION]... DISK...\n"
	      "       diskatlas --list [--json] DISK...\n"
	      "       diskatlas --lookup WHERE [--json] DISK...\n"
	      "       diskatlas --map [--width N] [--height N] DISK...\n"
	      "       diskatlas --cat WHERE+LENGTH DISK... > FILE\n"
	      "Explore who owns every block of disk images: partition tables,\n"
	      "LVM, filesystems, down to the file.\n"
	      "\n"
	      "  DISK               PATH or NAME=PATH: an image file (raw, qcow2, vmdk,\n"
	      "                     vhdx, vdi, vpc, qed), a block device, or an NBD URI\n"
	      "                     (nbd://HOST/EXPORT, nbd+unix:///EXPORT?socket=PATH)\n"
	      "  -l, --list         print what the scan found, as a tree\n"
	      "  -L, --lookup WHERE print the owners of the byte at [NAME:]OFFSET,\n"
	      "                     or of a range [NAME:]START-END or START+LENGTH;\n"
	      "                     NAME a disk or a volume (vg/lv);\n"
	      "                     OFFSET is bytes (decimal or 0x hex), with K/M/G/T\n"
	      "                     (powers of 1024) or s (sectors);\n"
	      "                     '-' reads one WHERE a line from standard input\n"
	      "      --unit UNIT    what a bare number counts: byte (default),\n"
	      "                     sector, or block (of the filesystem the disk\n"
	      "                     or volume named holds, as its tools number\n"
	      "                     them; else a logical sector)\n"
	      "      --sector-size N  bytes in a sector (default: the disk's own)\n"
	      "  -m, --map          print the disk as a map of letters with a legend\n"
	      "  -c, --cat WHERE+LENGTH  write LENGTH bytes of a disk or volume\n"
	      "                     (an LV, an md array) from [NAME:]OFFSET to\n"
	      "                     standard output\n"
	      "      --width N      map width in cells (default 64)\n"
	      "      --height N     map height in cells (default 16)\n"
	      "      --color[=WHEN] colour the map: auto (on a terminal, unless\n"
	      "                     NO_COLOR is set or TERM=dumb), always, never\n"
	      "  -j, --json         JSON output (JSON Lines for --lookup -)\n"
	      "  -f, --format FMT   image format of the disks after it: raw, qcow2,\n"
	      "                     vmdk, vhdx, vdi, vpc, qed, or auto (detected by\n"
	      "                     magic, the default)\n"
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

/* The answer to a line that is not a WHERE: one line, escaped. */
static void stream_error_line(const char *line, const char *msg, bool json)
{
	if (json) {
		fputs("{\"where\":", stdout);
		da_json_string(stdout, line);
		fputs(",\"error\":", stdout);
		da_json_string(stdout, msg);
		fputs("}\n", stdout);
	} else {
		fputs("error: ", stdout);
		da_text_string(stdout, msg);
		fputc('\n', stdout);
	}
}

/* One WHERE: an offset's owners, or a range's; an error says why (in the
 * answer's own format when streaming, so that one answer stays one line). */
static int answer(struct da_ownership *o, struct da_machine *m,
		  const char *where, const struct da_where_opts *wopts,
		  bool json, bool stream)
{
	struct da_where w;
	size_t d;
	uint64_t off;
	da_error err;          /* set on failure: not cleared a line */
	err.code = 0;
	err.msg[0] = '\0';
	if (da_where_parse(m, where, wopts, &w, &err) < 0 ||
	    (!w.range && da_where_locate(o, where, &w, &d, &off, &err) < 0)) {
		if (!stream)
			return fail(err.msg);
		/* the line read, and the message that quotes it, escaped:
		 * one answer stays one line */
		stream_error_line(where, err.msg, json);
		return 1;
	}
	if (w.range)
		da_report_range(stdout, o, m, where, &w, json);
	else
		da_report_lookup(stdout, o, m, d, off, json, where);
	return 0;
}

/* Standard input a line at a time, read in large blocks into one buffer
 * that grows for a longer line: getline's locking and copying were 3% of
 * --lookup -'s instructions.  A line is answered the same either way. */
struct line_reader {
	char *buf;
	size_t cap, start, end;    /* the bytes not yet returned */
	bool eof;
	int error;                 /* errno of a failed read, or 0 */
};

/* The next line, its newline replaced by a NUL, and its length (0 for an
 * empty line); the last one without a newline too.  -1 at the end of the
 * input or after a read error (r->error). */
static ssize_t next_line(struct line_reader *r, char **line)
{
	for (;;) {
		char *s = r->buf + r->start;
		size_t have = r->end - r->start;
		char *nl = have ? memchr(s, '\n', have) : NULL;
		if (nl || ((r->eof || r->error) && have)) {
			size_t len = nl ? (size_t)(nl - s) : have;
			s[len] = '\0';    /* room is kept past end for it */
			r->start += len + (nl != NULL);
			*line = s;
			return (ssize_t)len;
		}
		if (r->eof || r->error)
			return -1;
		if (r->start) {
			memmove(r->buf, s, have);
			r->start = 0;
			r->end = have;
		}
		if (r->cap - r->end < 4096 + 1) {
			size_t cap = r->cap ? r->cap * 2 : 1 << 16;
			char *b = cap > r->cap ? realloc(r->buf, cap) : NULL;
			if (!b)
				da_out_of_memory();
			r->buf = b;
			r->cap = cap;
		}
		/* the answers so far go out before a read that may wait:
		 * a program that writes a WHERE and then reads its answer
		 * (a coprocess) would wait for ever for one held here */
		fflush(stdout);
		ssize_t n = read(STDIN_FILENO, r->buf + r->end,
				 r->cap - r->end - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r->error = errno ? errno : EIO;
		else if (n == 0)
			r->eof = true;
		else
			r->end += (size_t)n;
	}
}

/* --lookup -: exactly one answer line for each input line (the last one
 * too when it has no newline).  A final CR (CRLF input) and blanks at
 * both ends are dropped; a line left empty, or one with a NUL byte in
 * it, is answered with an error like a WHERE that does not resolve. */
static int lookup_stream(struct da_ownership *o, struct da_machine *m,
			 const struct da_where_opts *wopts, bool json)
{
	struct line_reader in = { NULL, 0, 0, 0, false, 0 };
	char *line;
	ssize_t len;
	int status = 0;
	/* 16 KiB: each page of it is a page fault (1-4 us on a VM) and each
	 * write far less; 64 KiB cost 8-12 more faults for 1,000 answers */
	static char outbuf[1 << 14];
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	while (!stdout_failed() && (len = next_line(&in, &line)) >= 0) {
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		size_t nul = strlen(line);
		if (nul < (size_t)len) {
			/* shown with U+FFFD where each NUL was */
			char *shown = malloc((size_t)len * 3 + 1), *q = shown;
			if (!shown)
				da_out_of_memory();
			for (ssize_t i = 0; i < len; i++) {
				if (line[i]) {
					*q++ = line[i];
				} else {
					memcpy(q, "\xef\xbf\xbd", 3);
					q += 3;
				}
			}
			*q = '\0';
			char msg[64];
			snprintf(msg, sizeof(msg), "a NUL byte at column %zu of "
				 "the line", nul + 1);
			stream_error_line(shown, msg, json);
			free(shown);
			status = 1;
			continue;
		}
		char *w = line;
		while (*w == ' ' || *w == '\t')
			w++;
		while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = '\0';
		if (!*w) {
			stream_error_line(w, "empty line: no WHERE", json);
			status = 1;
			continue;
		}
		if (answer(o, m, w, wopts, json, true))
			status = 1;
	}
	free(in.buf);
	if (in.error)
		return stream_error("standard input", in.error);
	return status;
}

/* --cat [NAME:]OFFSET+LENGTH: the bytes of any address space (a disk,
 * an LV, an md array) to standard output, so that real tools can check
 * what was assembled.  Nothing else is ever written. */
static int cat_bytes(struct da_machine *m, const char *arg)
{
	char msg[600];
	const char *plus = strrchr(arg, '+');
	uint64_t len, off;
	struct da_device *dev;
	da_error err = { 0 };
	if (!plus || plus == arg || da_parse_offset(plus + 1, &len) < 0) {
		snprintf(msg, sizeof(msg), "--cat %.200s: want [NAME:]OFFSET+"
			 "LENGTH (LENGTH like OFFSET: 100M, 2048s...)", arg);
		return bad_usage(msg);
	}
	char *where = strndup(arg, (size_t)(plus - arg));
	if (!where)
		return fail("out of memory");
	int r = da_parse_where_dev(m, where, &dev, &off, &err);
	free(where);
	if (r < 0)
		return fail(err.msg);
	if (len > dev->size - off) {
		snprintf(msg, sizeof(msg), "--cat %.200s: %llu bytes from %llu "
			 "run past the end of %.200s (%llu bytes)", arg,
			 (unsigned long long)len, (unsigned long long)off,
			 dev->name, (unsigned long long)dev->size);
		return fail(msg);
	}
	static char buf[1 << 20];
	while (len > 0 && !stdout_failed()) {
		size_t n = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		if (da_device_read(dev, buf, n, off, &err) < 0)
			return fail(err.msg);
		if (fwrite(buf, 1, n, stdout) != n)
			break;
		off += n;
		len -= n;
	}
	return 0;
}

static const struct option opts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "lookup", required_argument, NULL, 'L' },
		{ "map", no_argument, NULL, 'm' },
		{ "cat", required_argument, NULL, 'c' },
		{ "width", required_argument, NULL, 'W' },
		{ "height", required_argument, NULL, 'H' },
		{ "color", optional_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ "unit", required_argument, NULL, 'U' },
		{ "sector-size", required_argument, NULL, 'S' },
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
	case 'c': return "WHERE+LENGTH";
	case 'f': return "FMT";
	case 'U': return "UNIT";
	case 'k': return "FILE";
	default: return "N";
	}
}

/* The usage error for what getopt_long refused (it prints nothing: opterr
 * is 0): c is ':' for a missing argument, '?' otherwise; arg is the
 * command-line word it stopped at. */
/* The file the word getopt is in (or has just left) names, when that word
 * starts with '-' and a file of that name exists: "-dash.img" was meant
 * as a disk, not as -d -a -s -h.  NULL when there is none. */
static const char *dash_file(int argc, char **argv, int at)
{
	for (int k = at - 1; k <= at && k < argc; k++) {
		struct stat st;
		if (k > 0 && argv[k][0] == '-' && argv[k][1] &&
		    argv[k][1] != '-' && stat(argv[k], &st) == 0)
			return argv[k];
	}
	return NULL;
}

static int option_error(int c, const char *arg, const char *file)
{
	char msg[256];
	if (file) {
		snprintf(msg, sizeof(msg), "%.60s is read as options: for the "
			 "file, write ./%.60s or put -- before it", file, file);
		return bad_usage(msg);
	}
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

static bool known_format(const char *name)
{
	if (!strcmp(name, "auto"))
		return true;
	for (const char *const *f = da_image_format_names(); *f; f++)
		if (!strcmp(*f, name))
			return true;
	return false;
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

/* Started with fd 0, 1 or 2 closed, the first file opened would take its
 * number: the image read as the offsets of --lookup -, answers written
 * into it.  Each closed one is opened on /dev/null first, read-only: no
 * input, and output to a closed stream still fails (EBADF) as it should. */
static void open_standard_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int n = open("/dev/null", O_RDONLY);
		if (n < 0)
			_exit(1);
		if (n != fd) {
			dup2(n, fd);
			close(n);
		}
	}
}

static struct da_disk_spec *disk_specs;

static void free_disk_specs(void)
{
	free(disk_specs);
	disk_specs = NULL;
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
	open_standard_fds();
	struct key_source keys = { NULL, 0, false };
	enum mode mode = MODE_EXPLORE;
	const char *where = NULL;
	bool json = false;
	int width = 64, height = 16;
	const char *color_when = "auto";
	struct da_where_opts wopts = { DA_UNIT_BYTE, 0 };
	const char *e = getenv("DISKATLAS_DEBUG");
	if (e && *e && strcmp(e, "0"))
		da_debug = 1;

	int c;
	opterr = 0;
	const char *format = NULL;
	bool format_unused = false;
	struct da_disk_spec *specs = calloc((size_t)argc, sizeof(*specs));
	size_t nspecs = 0;
	if (!specs)
		return fail("out of memory");
	/* every way out of main (usage errors included) frees the list */
	disk_specs = specs;
	atexit(free_disk_specs);
	const char *key_file = NULL;
	/* '-': disks come in order among the options (as code 1) */
	while ((c = getopt_long(argc, argv, "-:lL:mc:jf:k:KdhV", opts, NULL)) != -1) {
		switch (c) {
		case 'l': mode = MODE_LIST; break;
		case 'L': mode = MODE_LOOKUP; where = optarg; break;
		case 'm': mode = MODE_MAP; break;
		case 'c': mode = MODE_CAT; where = optarg; break;
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
		case 'U':
			if (!strcmp(optarg, "byte"))
				wopts.unit = DA_UNIT_BYTE;
			else if (!strcmp(optarg, "sector"))
				wopts.unit = DA_UNIT_SECTOR;
			else if (!strcmp(optarg, "block"))
				wopts.unit = DA_UNIT_BLOCK;
			else
				return bad_usage("--unit wants byte, sector or block");
			break;
		case 'S': {
			int v;
			if (positive(optarg, &v) < 0 || v < 512 || v > 65536 ||
			    (v & (v - 1)))
				return bad_usage("--sector-size wants a power of 2 "
						 "from 512 to 65536");
			wopts.sector_size = (uint32_t)v;
			break;
		}
		case 'f':
			if (!known_format(optarg)) {
				char msg[300];
				snprintf(msg, sizeof(msg), "--format %.60s: unknown "
					 "format (", optarg);
				for (const char *const *f = da_image_format_names();
				     *f; f++)
					snprintf(msg + strlen(msg),
						 sizeof(msg) - strlen(msg), "%s, ",
						 *f);
				snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
					 "auto)");
				return bad_usage(msg);
			}
			format = optarg;
			format_unused = true;
			break;
		case 1:        /* a DISK: --format applies to those after it */
			specs[nspecs++] = (struct da_disk_spec){
				.path = optarg, .format = format };
			format_unused = false;
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
		default:
			return option_error(c, argv[optind - 1],
					    dash_file(argc, argv, optind));
		}
	}
	for (; optind < argc; optind++) {     /* after "--" */
		specs[nspecs++] = (struct da_disk_spec){
			.path = argv[optind], .format = format };
		format_unused = false;
	}
	if (nspecs == 0)
		return bad_usage("no disk given");
	if (format_unused)
		return bad_usage("--format applies to the disks after it: put "
				 "it before them");
	/* NAME=PATH, when NAME has no '/' */
	for (size_t i = 0; i < nspecs; i++) {
		const char *eq = strchr(specs[i].path, '=');
		if (eq && eq != specs[i].path &&
		    !memchr(specs[i].path, '/', (size_t)(eq - specs[i].path))) {
			specs[i].name = strndup(specs[i].path,
						(size_t)(eq - specs[i].path));
			specs[i].path = eq + 1;
		}
	}
	if (json && (mode == MODE_EXPLORE || mode == MODE_MAP ||
		     mode == MODE_CAT))
		return bad_usage("--json goes with --list or --lookup");
	if (mode == MODE_CAT && isatty(STDOUT_FILENO))
		return bad_usage("--cat writes bytes: send standard output to "
				 "a file or a pipe");

	if (key_file && keys.ask)
		return bad_usage("--key-file and --ask-key: give one of them");

	da_error err = { 0 };
	if (key_file && read_key_file(key_file, &keys, err.msg,
				      sizeof(err.msg)) < 0) {
		da_secret_free(keys.key, DA_MAX_KEY + 1);
		return fail(err.msg);
	}
	struct da_machine *m = da_machine_open_disks("machine", specs, nspecs,
						     &err);
	for (size_t i = 0; i < nspecs; i++)
		free((char *)specs[i].name);
	free_disk_specs();
	if (!m) {
		da_secret_free(keys.key, DA_MAX_KEY + 1);
		return fail(err.msg);
	}
	if (key_file || keys.ask)
		da_machine_set_key_source(m, give_key, &keys);
	/* the explorer draws before the slow part of the scan */
	m->defer_settle = mode == MODE_EXPLORE;
	da_machine_scan(m);
	/* every volume that could be opened has been: the key goes now */
	da_secret_free(keys.key, DA_MAX_KEY + 1);
	keys.key = NULL;
	keys.ask = false;
	int status = 0;
	if (mode == MODE_CAT) {
		status = cat_bytes(m, where);
	} else if (mode == MODE_LIST) {
		/* the directory trees: what they find wrong (a cluster two
		 * files claim, a cut chain) is part of what the scan found */
		da_machine_build_indexes(m);
		da_report_list(stdout, m, json);
		stdout_failed();
	} else {
		struct da_where w;
		/* before the ownership build: a typo fails at once */
		if (mode == MODE_LOOKUP && strcmp(where, "-") != 0 &&
		    da_where_parse(m, where, &wopts, &w, &err) < 0) {
			da_machine_close(m);
			return fail(err.msg);
		}
		struct da_ownership *o = da_ownership_build(m, &err);
		if (!o && err.code == ENOMEM)
			da_out_of_memory();
		if (!o) {
			da_machine_close(m);
			return fail(err.msg);
		}
		if (mode == MODE_LOOKUP) {
			da_machine_build_indexes(m);
			if (strcmp(where, "-") == 0)
				status = lookup_stream(o, m, &wopts, json);
			else
				status = answer(o, m, where, &wopts, json, false);
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
