/*
 * mintctl.c - the mintfs tree as a command, without FUSE: for pipelines
 * that run where /dev/fuse is absent (docs/MINTCTL.md, docs/mintctl.1).
 *
 *   mintctl [--store DIR] [--max-pixels N] COMMAND [ARGS]
 *
 * Every command is one call into the core through tree.h, exactly as a
 * FUSE request would be: `add` is create + write + close() in Image
 * Manager, so content is validated by the same commit.
 *
 * Exit status: 0 success, 1 the operation failed, 2 usage error. A failure
 * prints exactly one line on stderr, "mintctl: <what>: <reason>". To keep
 * it one line, the core's mint_log() lines (which say why, naming the
 * file) are collected through a log sink instead of printed. A failure
 * prints the last line logged by the failing step, or strerror() when the
 * core logged nothing; on success, logged lines (warnings) are passed on,
 * one line each.
 *
 * SIGPIPE is ignored: a reader that stops early (`| head -c 10`) ends the
 * command quietly with status 0, so `set -o pipefail` pipelines pass.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cmdline.h"
#include "hevctile.h"
#include "log.h"
#include "remote.h"
#include "tree.h"
#include "variant.h"

#define CTL_CACHE (64ULL << 20)
#define EX_FAIL 1
#define EX_USAGE 2

struct ctl {
	const char *store_opt;		/* --store, borrowed from argv */
	char *store_dir;
	int flag;			/* ls -l, add -r */
	struct mint_settings set;
	struct mint_ctx ctx;
	struct mint_tree *tree;
	char path[PATH_MAX];		/* the tree path of the argument */
};

static struct mint_buf logged;		/* mint_log() lines, '\n' each */
static size_t logmark;			/* lines before logmark are old */
static char iobuf[1 << 17];

static void usage(void)
{
	printf("usage: mintctl [--store DIR] [--max-pixels N] [...] "
	       "COMMAND [ARGS]\n\n"
	       "  cat PATH          print a file, e.g. "
	       "Images/cat/always_random/cat.png\n"
	       "  ls [-l] [PATH]    list a folder (-l: size<TAB>name)\n"
	       "  add FILE [NAME]   add an original (FILE - is stdin: "
	       "give NAME);\n"
	       "                    NAME may be a path: folders are made\n"
	       "  add -r DIR [NAME] add a folder of originals, at any depth\n"
	       "  rm NAME           remove an original, or an empty folder\n"
	       "  stat PATH         type, size, mode, mtime (tab-separated)\n"
	       "  gc [--grace DURATION]  a store on S3: delete the blobs no\n"
	       "                    original names, older than DURATION\n"
	       "                    (default 1h; s, m, h, d suffixes)\n\n"
	       "  --store DIR       default $XDG_DATA_HOME/mintfs\n"
	       "  --store s3://BUCKET[/PREFIX]  a library shared through a\n"
	       "                    bucket; --cache-dir DIR, --s3-endpoint URL,\n"
	       "                    --s3-path-style, --s3-timeout SECONDS\n"
	       "                    as mintfs takes them\n"
	       "  --max-pixels N    largest original (default 100000000)\n"
	       "  --max-text, --max-file-size, --max-handle-memory,\n"
	       "  --cache-size, --disk-cache BYTES  as mintfs takes them\n"
	       "  -h, --help; -V, --version\n\n"
	       "exit status: 0 success, 1 failure, 2 usage error "
	       "(docs/MINTCTL.md)\n");
}

/* ---- one line per failure ------------------------------------------------ */

/* The log sink: keep each line (a line that cannot be kept is lost). */
static void keep_line(void *ctx, const char *line)
{
	(void)ctx;
	if (!mint_buf_append(&logged, line, strlen(line)))
		mint_buf_append(&logged, "\n", 1);
}

/* Forget what was logged so far: a failure from now on has its own why. */
static void log_mark(void)
{
	logmark = logged.len;
}

/*
 * Cut the lines kept from `from` on into strings (in place: a line ends
 * at its '\n', or at the NUL of an earlier cut) and return the last, or
 * NULL. With `fwd`, pass each on to stderr.
 */
static const char *log_lines(size_t from, int fwd)
{
	char *p, *nl, *end = (char *)logged.data + logged.len;
	const char *last = NULL;

	for (p = (char *)logged.data + from; logged.data && p < end;
	     p = nl + 1) {
		nl = p + strcspn(p, "\n");
		if (nl >= end)
			break;
		*nl = '\0';
		last = p;
		if (fwd)
			fprintf(stderr, "mintctl: %s\n", last);
	}
	return last;
}

/* Pass warnings on after a success, nothing after a failure; stop. */
static void log_finish(int status)
{
	if (status == 0)
		log_lines(0, 1);
	mint_log_set_sink(NULL, NULL);
	mint_buf_release(&logged);
}

/* The one line of a failure (see the top of the file). Returns EX_FAIL. */
static int fail(const char *what, int rc)
{
	const char *why = log_lines(logmark, 0);

	if (why)
		fprintf(stderr, "mintctl: %s\n", why);
	else
		fprintf(stderr, "mintctl: %s: %s\n", what, strerror(-rc));
	log_mark();
	return EX_FAIL;
}

/* Commit refused the content: say so, with the generator's reason. */
static int refused(const char *name, int rc)
{
	const char *why = log_lines(logmark, 0);
	size_t len = strlen(name);

	if (why && !strncmp(why, name, len) && !strncmp(why + len, ": ", 2))
		why += len + 2;		/* the line names the file: so do we */
	if (why && !strncmp(why, "refused: ", 9))
		why += 9;
	fprintf(stderr, "mintctl: %s: refused: %s (%s)\n", name,
		why ? why : "content not accepted", strerror(-rc));
	return EX_FAIL;
}

static int usage_error(const char *what, const char *why)
{
	fprintf(stderr, "mintctl: %s: %s (try --help)\n", what, why);
	return EX_USAGE;
}

/* ---- helpers ------------------------------------------------------------- */

/* The tree's absolute path for `rel` ("/" optional) under `dir`. */
static int tree_path(char *out, const char *dir, const char *rel)
{
	int n;

	while (*rel == '/')
		rel++;
	n = snprintf(out, PATH_MAX, "%s/%s", dir, rel);
	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* write() all of buf. 0 or -errno (-EPIPE when the reader went away). */
static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A stdout error ends the command: quietly for EPIPE. Exit status. */
static int out_error(int rc)
{
	return rc == -EPIPE ? 0 : fail("stdout", rc);
}

/*
 * Open the store and the tree, as main.c does, after c->path is set to the
 * tree path of `rel` under `dir`. Exit status.
 */
static int ctl_open(struct ctl *c, const char *dir, const char *rel)
{
	int rc = tree_path(c->path, dir, rel);

	if (rc)
		return fail(rel, rc);
	c->store_dir = c->store_opt ? strdup(c->store_opt) : mint_default_store();
	if (!c->store_dir)
		return fail("store", c->store_opt ? -ENOMEM : -ENOENT);
	rc = mint_session_open(c->store_dir, &c->set, &c->ctx, &c->tree);
	if (rc == -EBUSY) {
		fprintf(stderr, "mintctl: store %s: in use by a mounted mintfs "
			"(or another mintctl): use the mount, or unmount it\n",
			c->store_dir);
		return EX_FAIL;
	}
	if (rc == -ENOMEM)
		return fail("store", rc);
	if (rc)
		return fail(c->store_dir, rc);
	log_mark();
	return 0;
}

/* A path under Image Manager: names separated by single '/'s. */
static int is_rel_path(const char *p)
{
	size_t len = strlen(p);

	return len && p[0] != '/' && p[len - 1] != '/' && !strstr(p, "//");
}

/*
 * Make the folders of c->path that are missing, as mkdir -p does, with
 * `mode`; the last component too when `self`. 0 or -errno.
 */
static int make_parents(struct ctl *c, mode_t mode, int self)
{
	char *p = c->path + strlen("/" MINT_DIR_MANAGER "/"), *slash;
	struct stat st;
	int rc = 0;

	for (;;) {
		slash = strchr(p, '/');
		if (!slash && !self)
			break;
		if (slash)
			*slash = '\0';
		if (mint_tree_getattr(c->tree, c->path, &st))
			rc = mint_tree_mkdir(c->tree, c->path, mode);
		else if (!S_ISDIR(st.st_mode))
			rc = -ENOTDIR;
		if (slash)
			*slash = '/';
		if (rc || !slash)
			break;
		p = slash + 1;
	}
	return rc;
}

/* ---- commands: each returns an exit status ------------------------------- */

static int cmd_cat(struct ctl *c, int argc, char **argv)
{
	struct mint_handle *h;
	uint64_t off = 0;
	int rc = ctl_open(c, "", argv[0]), wrc = 0, dio;

	(void)argc;
	if (rc)
		return rc;
	rc = mint_tree_open(c->tree, c->path, O_RDONLY, &h, &dio);
	if (rc)
		return fail(argv[0], rc);
	/* one handle: an always_random file's bytes are fixed at open */
	while ((rc = mint_handle_read(h, iobuf, sizeof(iobuf), off)) > 0) {
		off += (uint64_t)rc;
		wrc = write_all(STDOUT_FILENO, iobuf, (size_t)rc);
		if (wrc)
			break;
	}
	mint_handle_release(h);
	if (wrc)
		return out_error(wrc);
	return rc < 0 ? fail(argv[0], rc) : 0;
}

struct names {
	char **v;
	size_t n;
	int rc;
};

/* mint_fill_fn: collect names, so that nothing runs inside readdir. */
static int collect(void *a, const char *name, const struct stat *st)
{
	struct names *l = a;
	char **v = l->v;

	(void)st;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	if (l->n % 64 == 0)
		v = realloc(l->v, (l->n + 64) * sizeof(*v));
	if (!v)
		goto nomem;
	l->v = v;
	v[l->n] = strdup(name);
	if (!v[l->n])
		goto nomem;
	l->n++;
	return 0;
nomem:
	l->rc = -ENOMEM;
	return 1;
}

static int cmd_ls(struct ctl *c, int argc, char **argv)
{
	const char *rel = argc ? argv[0] : "";
	struct names l = { 0 };
	char child[PATH_MAX];
	struct stat st;
	size_t i;
	int rc = ctl_open(c, "", rel), n;

	if (rc)
		return rc;
	rc = mint_tree_readdir(c->tree, c->path, collect, &l);
	rc = rc ? rc : l.rc;
	if (rc)
		rc = fail(*rel ? rel : "/", rc);
	for (i = 0; i < l.n && !rc; i++) {
		if (c->flag) {		/* -l: stat as the mount would */
			rc = tree_path(child, c->path[1] ? c->path : "",
				       l.v[i]);
			if (!rc)
				rc = mint_tree_getattr(c->tree, child, &st);
			if (rc) {
				rc = fail(l.v[i], rc);
				break;
			}
			n = dprintf(STDOUT_FILENO, "%lld\t%s\n",
				    (long long)st.st_size, l.v[i]);
		} else {
			n = dprintf(STDOUT_FILENO, "%s\n", l.v[i]);
		}
		rc = n < 0 ? out_error(-errno) : 0;
		if (n < 0)
			break;
	}
	for (i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	return rc;
}

/* Copy fd into h. 0, or -errno with *input set if reading failed. */
static int copy_in(struct mint_handle *h, int fd, int *input)
{
	uint64_t off = 0;
	ssize_t n;
	int rc;

	*input = 0;
	for (;;) {
		n = read(fd, iobuf, sizeof(iobuf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		rc = mint_handle_write(h, iobuf, (size_t)n, off);
		if (rc < 0)
			return rc;
		off += (uint64_t)n;
	}
	*input = n < 0;
	return n < 0 ? -errno : 0;
}

static int add_one(struct ctl *c, int fd, const char *file, const char *name,
		   mode_t mode);

static int cmd_add(struct ctl *c, int argc, char **argv)
{
	const char *file = argv[0], *slash = strrchr(file, '/'), *name;
	struct stat st = { .st_mode = 0666 };
	mode_t mask = umask(0);
	int fd = STDIN_FILENO, rc;

	umask(mask);
	if (!strcmp(file, "-") && argc < 2)
		return usage_error("add -", "give a NAME for stdin");
	name = argc == 2 ? argv[1] : slash ? slash + 1 : file;
	if (!is_rel_path(name))
		return usage_error(*name ? name : "add", "not a file name");
	if (strcmp(file, "-")) {
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return fail(file, -errno);
		rc = fstat(fd, &st) ? -errno : 0;
		if (!rc && S_ISDIR(st.st_mode))
			rc = -EISDIR;
		if (rc) {
			rc = fail(file, rc);
			goto out;
		}
	}
	rc = ctl_open(c, "/" MINT_DIR_MANAGER, name);
	if (rc)
		goto out;
	rc = add_one(c, fd, file, name, st.st_mode & 0777 & ~mask);
out:
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

/*
 * Add what fd holds as c->path (naming it `name` in messages), making
 * the folders on the way. Exit status.
 */
static int add_one(struct ctl *c, int fd, const char *file, const char *name,
		   mode_t mode)
{
	struct mint_handle *h;
	struct stat old;
	mode_t mask = umask(0);
	int rc, existed, input;

	umask(mask);
	rc = make_parents(c, 0777 & ~mask, 0);
	if (rc)
		return fail(name, rc);
	/* a new name gets FILE's mode less the umask, as cp gives it */
	existed = !mint_tree_getattr(c->tree, c->path, &old);
	rc = mint_tree_create(c->tree, c->path, mode,
			      O_WRONLY | O_CREAT | O_TRUNC, &h);
	if (rc)
		return fail(name, rc);
	rc = copy_in(h, fd, &input);
	if (rc) {
		rc = fail(input ? file : name, rc);
		/* release commits: at least a new name must not appear */
		if (!existed)
			mint_tree_unlink(c->tree, c->path);
		mint_handle_release(h);
		return rc;
	}
	/* validate and commit, also an empty file (a close would leave
	 * that to the release, which could not report an error) */
	rc = mint_handle_fsync(h);
	mint_handle_release(h);
	if (rc == -EINVAL || rc == -EFBIG)
		rc = refused(name, rc);
	else if (rc)
		rc = fail(name, rc);
	return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/*
 * add -r: the folder `src` (a path on disk) as c->path, and everything
 * in it, in name order. A file or folder that fails gets its line and
 * the rest goes on; exit status 1 if anything failed.
 */
static int add_tree(struct ctl *c, const char *src, mode_t mode)
{
	struct dirent **ents = NULL;
	size_t plen = strlen(c->path);
	char from[PATH_MAX];
	const char *rel = c->path + strlen("/" MINT_DIR_MANAGER "/");
	mode_t mask = umask(0);
	struct stat st;
	int n, i, rc, status = 0, fd;

	umask(mask);
	rc = make_parents(c, mode, 1);
	if (rc)
		return fail(rel, rc);
	n = scandir(src, &ents, NULL, by_name);
	if (n < 0)
		return fail(src, -errno);
	for (i = 0; i < n; i++) {
		const char *e = ents[i]->d_name;

		if (!strcmp(e, ".") || !strcmp(e, ".."))
			goto next;
		rc = snprintf(from, sizeof(from), "%s/%s", src, e) >=
		     (int)sizeof(from) ? -ENAMETOOLONG : 0;
		if (!rc && plen + 1 + strlen(e) >= sizeof(c->path))
			rc = -ENAMETOOLONG;
		if (!rc) {
			c->path[plen] = '/';
			memcpy(c->path + plen + 1, e, strlen(e) + 1);
		}
		if (!rc)
			rc = lstat(from, &st) ? -errno : 0;
		if (rc) {
			status = fail(from, rc);
		} else if (S_ISDIR(st.st_mode)) {
			if (add_tree(c, from, st.st_mode & 0777 & ~mask))
				status = EX_FAIL;
		} else if (S_ISREG(st.st_mode)) {
			fd = open(from, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				status = fail(from, -errno);
			} else {
				if (add_one(c, fd, from, rel,
					    st.st_mode & 0777 & ~mask))
					status = EX_FAIL;
				close(fd);
			}
			log_mark();
		} else {
			status = fail(from, -EINVAL);	/* not a file */
		}
		c->path[plen] = '\0';
		rel = c->path + strlen("/" MINT_DIR_MANAGER "/");
next:
		free(ents[i]);
	}
	free(ents);
	return status;
}

static int cmd_add_r(struct ctl *c, int argc, char **argv)
{
	const char *dir = argv[0], *name;
	char *base, *copy = strdup(dir);
	mode_t mask = umask(0);
	struct stat st;
	size_t len;
	int rc;

	umask(mask);
	if (!copy)
		return fail("add", -ENOMEM);
	len = strlen(copy);
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	base = strrchr(copy, '/');
	base = base && base[1] ? base + 1 : copy;
	name = argc == 2 ? argv[1] : base;
	if (!is_rel_path(name) || !strcmp(name, ".") || !strcmp(name, "..")) {
		rc = usage_error(*name ? name : "add -r", "not a folder name");
		goto out;
	}
	rc = stat(dir, &st) ? -errno : S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (rc) {
		rc = fail(dir, rc);
		goto out;
	}
	rc = ctl_open(c, "/" MINT_DIR_MANAGER, name);
	if (!rc)
		rc = add_tree(c, dir, st.st_mode & 0777 & ~mask);
out:
	free(copy);
	return rc;
}

static int cmd_rm(struct ctl *c, int argc, char **argv)
{
	struct stat st;
	int rc;

	(void)argc;
	if (!is_rel_path(argv[0]))
		return usage_error(argv[0], "not a file name");
	rc = ctl_open(c, "/" MINT_DIR_MANAGER, argv[0]);
	if (rc)
		return rc;
	rc = mint_tree_getattr(c->tree, c->path, &st);
	if (!rc && S_ISDIR(st.st_mode))
		rc = mint_tree_rmdir(c->tree, c->path);
	else if (!rc)
		rc = mint_tree_unlink(c->tree, c->path);
	return rc ? fail(argv[0], rc) : 0;
}

static int cmd_stat(struct ctl *c, int argc, char **argv)
{
	char when[32] = "";
	struct stat st;
	struct tm tm;
	int rc = ctl_open(c, "", argv[0]);

	(void)argc;
	if (rc)
		return rc;
	rc = mint_tree_getattr(c->tree, c->path, &st);
	if (rc)
		return fail(argv[0], rc);
	if (gmtime_r(&st.st_mtime, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	rc = dprintf(STDOUT_FILENO, "%s\t%lld\t%04o\t%s\n",
		     S_ISDIR(st.st_mode) ? "directory" : "file",
		     (long long)st.st_size, (unsigned)(st.st_mode & 07777),
		     when);
	return rc < 0 ? out_error(-errno) : 0;
}

/* "90", "90s", "15m", "1h", "2d" -> seconds. 0 or -EINVAL. */
static int parse_duration(const char *s, uint64_t *out)
{
	unsigned long long v, mul = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 's': end++; break;
	case 'm': mul = 60; end++; break;
	case 'h': mul = 3600; end++; break;
	case 'd': mul = 86400; end++; break;
	}
	if (*end || (v && mul > UINT64_MAX / v))
		return -EINVAL;
	*out = v * mul;
	return 0;
}

static int cmd_gc(struct ctl *c, int argc, char **argv)
{
	uint64_t grace = 3600, removed = 0, kept = 0;
	int rc;

	if (argc == 2 && !strcmp(argv[0], "--grace")) {
		if (parse_duration(argv[1], &grace))
			return usage_error(argv[1], "not a duration "
					   "(90, 90s, 15m, 1h, 2d)");
	} else if (argc) {
		return usage_error(argv[0], "usage: mintctl gc "
				   "[--grace DURATION]");
	}
	if (!mint_s3_is_url(c->store_opt))
		return usage_error("gc", "needs --store s3://BUCKET: a local "
				   "store removes its blobs itself");
	rc = ctl_open(c, "", "");
	if (rc)
		return rc;
	rc = mint_remote_gc(c->ctx.store, grace, 0, &removed, &kept);
	if (rc)
		return fail("gc", rc);
	rc = dprintf(STDOUT_FILENO, "removed %llu blobs, kept %llu\n",
		     (unsigned long long)removed, (unsigned long long)kept);
	return rc < 0 ? out_error(-errno) : 0;
}

static const struct command {
	const char *name, *args;
	int min, max;
	int (*run)(struct ctl *c, int argc, char **argv);
} add_r = { "add", "-r DIR [NAME]", 1, 2, cmd_add_r }, commands[] = {
	{ "cat", "PATH", 1, 1, cmd_cat },
	{ "ls", "[-l] [PATH]", 0, 1, cmd_ls },
	{ "add", "FILE [NAME]", 1, 2, cmd_add },
	{ "rm", "NAME", 1, 1, cmd_rm },
	{ "stat", "PATH", 1, 1, cmd_stat },
	{ "gc", "[--grace DURATION]", 0, 2, cmd_gc },
	{ NULL, NULL, 0, 0, NULL }
};

/* Global options. -1 to go on, or an exit status. */
static int parse(struct ctl *c, int argc, char **argv)
{
	enum { OPT_SIZE = 256, MAX_OPTS = 24 };	/* OPT_SIZE + index in
						 * mint_size_opts[] */
	struct option opts[MAX_OPTS + 1] = {
		{ "store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "cache-dir", required_argument, NULL, 'c' },
		{ "s3-endpoint", required_argument, NULL, 'e' },
		{ "s3-path-style", no_argument, NULL, 'p' },
	};
	size_t n = 6, i;
	int opt;

	for (i = 0; mint_size_opts[i].name && n < MAX_OPTS; i++)
		opts[n++] = (struct option){ mint_size_opts[i].name,
					     required_argument, NULL,
					     OPT_SIZE + (int)i };
	opterr = 0;		/* our own one-line messages */
	while ((opt = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage();
			return 0;
		case 'V':
			printf("mintctl %s\n", MINT_VERSION);
			return 0;
		case 's':
			c->store_opt = optarg;
			break;
		case 'c':
			c->set.cache_dir = optarg;
			break;
		case 'e':
			c->set.s3_endpoint = optarg;
			break;
		case 'p':
			c->set.s3_path_style = 1;
			break;
		case ':':
			return usage_error(argv[optind - 1], "needs a value");
		case '?':
			return usage_error(argv[optind - 1], "unknown option");
		default:
			if (mint_size_opt_set("mintctl",
					      &mint_size_opts[opt - OPT_SIZE],
					      optarg, &c->set))
				return EX_USAGE;
			break;
		}
	}
	if (optind >= argc)
		return usage_error("no command", "cat, ls, add, rm, stat or gc");
	return -1;
}

/* The command and its arguments, checked, then run. Exit status. */
static int dispatch(struct ctl *c, int argc, char **argv)
{
	const struct command *cmd = commands;

	while (cmd->name && strcmp(cmd->name, argv[0]))
		cmd++;
	if (!cmd->name)
		return usage_error(argv[0], "unknown command");
	argc--, argv++;
	if (cmd->run == cmd_ls && argc && !strcmp(argv[0], "-l")) {
		c->flag = 1;
		argc--, argv++;
	}
	if (cmd->run == cmd_add && argc && !strcmp(argv[0], "-r")) {
		cmd = &add_r;
		argc--, argv++;
	}
	if (argc && !strcmp(argv[0], "--"))
		argc--, argv++;
	else if (argc && argv[0][0] == '-' && argv[0][1] &&
		 cmd->run != cmd_gc)
		return usage_error(argv[0], "unknown option");
	if (argc < cmd->min || argc > cmd->max) {
		fprintf(stderr, "mintctl: %s: usage: mintctl %s %s\n", cmd->name,
			cmd->name, cmd->args);
		return EX_USAGE;
	}
	return cmd->run(c, argc, argv);
}

int main(int argc, char **argv)
{
	struct ctl c = { 0 };
	int rc;

	signal(SIGPIPE, SIG_IGN);	/* EPIPE instead: see the top */
	mint_log_set_sink(keep_line, NULL);
	mint_settings_init(&c.set);
	c.set.cache_size = CTL_CACHE;
	rc = parse(&c, argc, argv);
	if (rc < 0)
		rc = dispatch(&c, argc - optind, argv + optind);
	mint_session_close(&c.ctx, c.tree);
	mint_hevc_tiles_free();		/* a cat of always_random HEIC */
	free(c.store_dir);
	log_finish(rc);
	return rc;
}
