/*
 * main.c - the mintfs command: options, the store, then the FUSE loop.
 *
 *   mintfs [--store DIR] [--cache-size BYTES] [--disk-cache BYTES]
 *          [--max-pixels N] [--no-eager]
 *          [-f] [-d] [-s] [-o opt,...] MOUNTPOINT
 *
 * Everything that can fail for a user's reason (options, store, mount
 * point) fails here, before mounting, with one line and a non-zero exit.
 */
#include <errno.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "ctx.h"
#include "fs.h"
#include "hevctile.h"
#include "log.h"
#include "warm.h"

#define MAX_SIZE_OPTS 16		/* room for mint_size_opts[] */

struct options {
	char *store;
	char *size[MAX_SIZE_OPTS];	/* one per mint_size_opts[] entry */
	int help;
	int version;
	int debug;		/* -d: our one-line request log */
	int no_eager;		/* no background work at commit */
	char *cache_dir;	/* a store on S3 */
	char *s3_endpoint;
	int s3_path_style;
	char *pos[3];		/* non-option arguments */
	int npos;
};

#define OPT(t, m) { t, offsetof(struct options, m), 1 }
static const struct fuse_opt fixed_spec[] = {
	OPT("--store=%s", store),
	OPT("store=%s", store),
	OPT("-h", help),
	OPT("--help", help),
	OPT("-V", version),
	OPT("--version", version),
	OPT("-d", debug),
	OPT("--debug", debug),
	OPT("--no-eager", no_eager),
	OPT("no_eager", no_eager),
	OPT("--cache-dir=%s", cache_dir),
	OPT("cache_dir=%s", cache_dir),
	OPT("--s3-endpoint=%s", s3_endpoint),
	OPT("s3_endpoint=%s", s3_endpoint),
	OPT("--s3-path-style", s3_path_style),
	OPT("s3_path_style", s3_path_style),
};
#define NFIXED (sizeof(fixed_spec) / sizeof(fixed_spec[0]))

/* fuse_opt's templates: ours, then "--name=%s" and "name_=%s" for each
 * size option, then the end. */
struct spec {
	struct fuse_opt opt[NFIXED + 2 * MAX_SIZE_OPTS + 1];
	char templ[2 * MAX_SIZE_OPTS][64];
};

static int spec_build(struct spec *sp)
{
	const struct mint_size_opt *o;
	size_t n = NFIXED, i, off;
	char *c;

	memcpy(sp->opt, fixed_spec, sizeof(fixed_spec));
	for (i = 0, o = mint_size_opts; o->name; i++, o++) {
		if (i == MAX_SIZE_OPTS)
			return -1;
		off = offsetof(struct options, size) + i * sizeof(char *);
		snprintf(sp->templ[2 * i], sizeof(sp->templ[0]), "--%s=%%s",
			 o->name);
		snprintf(sp->templ[2 * i + 1], sizeof(sp->templ[0]), "%s=%%s",
			 o->name);
		for (c = sp->templ[2 * i + 1]; *c; c++)
			if (*c == '-')
				*c = '_';
		sp->opt[n++] = (struct fuse_opt){ sp->templ[2 * i], off, 1 };
		sp->opt[n++] = (struct fuse_opt){ sp->templ[2 * i + 1], off, 1 };
	}
	sp->opt[n] = (struct fuse_opt)FUSE_OPT_END;
	return 0;
}

static void usage(const char *prog)
{
	printf("usage: %s [options] [STORE] MOUNTPOINT\n"
	       "\n"
	       "An endless supply of unique images: drop originals into\n"
	       "MOUNTPOINT/Image Manager/, read them from MOUNTPOINT/Images/.\n"
	       "\n"
	       "mintfs options:\n"
	       "    --store=DIR          where originals are kept\n"
	       "                         (default $XDG_DATA_HOME/mintfs)\n"
	       "    --store=s3://BUCKET[/PREFIX]\n"
	       "                         one library shared through a bucket\n"
	       "                         (AWS_* variables, ~/.aws/credentials)\n"
	       "    --cache-dir=DIR      its local cache (default\n"
	       "                         $XDG_CACHE_HOME/mintfs/<bucket hash>)\n"
	       "    --s3-endpoint=URL    default $AWS_ENDPOINT_URL_S3,\n"
	       "                         $AWS_ENDPOINT_URL, else AWS's\n"
	       "    --s3-path-style      URL/BUCKET/KEY, not BUCKET.HOST\n"
	       "    --s3-poll=SECONDS    how often other mounts' changes are\n"
	       "                         looked for (default 2)\n"
	       "    --s3-timeout=SECONDS a write the bucket does not take fails\n"
	       "                         (EIO) after this (default 30)\n"
	       "    --cache-size=BYTES   memory for decoded and encoded images\n"
	       "                         (default 256M; K, M, G suffixes)\n"
	       "    --disk-cache=BYTES   room in STORE/cache for made files,\n"
	       "                         kept across mounts (default 2G;\n"
	       "                         0: none)\n"
	       "    --max-pixels=N       largest original accepted, in pixels\n"
	       "                         (default 100000000)\n"
	       "    --max-text=BYTES     largest text original (default 64M)\n"
	       "    --max-file-size=BYTES\n"
	       "                         largest file in Image Manager; writes\n"
	       "                         past it fail (EFBIG) (default 4G)\n"
	       "    --max-handle-memory=BYTES\n"
	       "                         memory all open always_random files\n"
	       "                         may own; opens past it fail (EMFILE)\n"
	       "                         (default 1G)\n"
	       "    --max-depth=N        folders in folders in Image Manager\n"
	       "                         (default 32)\n"
	       "    --max-path=BYTES     longest path under Image Manager\n"
	       "                         (default 1024, at most 4095)\n"
	       "    --no-eager           make an original's Images files only\n"
	       "                         when asked for, not in the background\n"
	       "                         right after it is committed\n"
	       "                         (-o no_eager)\n"
	       "    -f                   stay in the foreground\n"
	       "    -d                   foreground, one log line per request\n"
	       "                         (-o debug: libfuse's own trace)\n"
	       "    -s                   single-threaded\n"
	       "    -o opt,[opt...]      mount options\n"
	       "    -h, --help           this help\n"
	       "    -V, --version        the version\n"
	       "\n"
	       "Unmount with: fusermount3 -u MOUNTPOINT\n\n", prog);
}

/* A mount point must be a directory nobody has mounted on already. */
static int check_mountpoint(const char *mnt)
{
	char parent[PATH_MAX];
	struct stat st, pst;

	if (stat(mnt, &st)) {
		fprintf(stderr, "mintfs: %s: %s\n", mnt, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "mintfs: %s: not a directory\n", mnt);
		return -1;
	}
	snprintf(parent, sizeof(parent), "%s/..", mnt);
	if (!stat(parent, &pst) &&
	    (st.st_dev != pst.st_dev || st.st_ino == pst.st_ino)) {
		fprintf(stderr, "mintfs: %s: already a mount point (busy)\n",
			mnt);
		return -1;
	}
	return 0;
}

/*
 * Copy argv into args, joining "--store DIR" into "--store=DIR": fuse_opt
 * applies every template that matches, so a "--store %s" template would
 * also take "--store=DIR" (as "=DIR"). 0 or -ENOMEM.
 */
static int copy_args(int argc, char *argv[], struct fuse_args *args)
{
	const struct mint_size_opt *o;
	int i, rc, join;
	char *arg;

	for (i = 0; i < argc; i++) {
		join = i + 1 < argc && (!strcmp(argv[i], "--store") ||
					!strcmp(argv[i], "--cache-dir") ||
					!strcmp(argv[i], "--s3-endpoint"));
		for (o = mint_size_opts; o->name && !join && i + 1 < argc; o++)
			join = !strncmp(argv[i], "--", 2) &&
			       !strcmp(argv[i] + 2, o->name);
		if (!join) {
			if (fuse_opt_add_arg(args, argv[i]))
				return -ENOMEM;
			continue;
		}
		if (asprintf(&arg, "%s=%s", argv[i], argv[i + 1]) < 0)
			return -ENOMEM;
		i++;
		rc = fuse_opt_add_arg(args, arg);
		free(arg);
		if (rc)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Non-option arguments are collected here: mount(8) through mount.fuse3
 * runs "mintfs STORE MOUNTPOINT -o opts" for a fuse.mintfs entry.
 */
static int keep_arg(void *data, const char *arg, int key,
		    struct fuse_args *outargs)
{
	struct options *o = data;

	(void)outargs;
	if (key != FUSE_OPT_KEY_NONOPT)
		return 1;		/* libfuse's own options: pass on */
	if (o->npos < 3)
		o->pos[o->npos] = strdup(arg);
	o->npos++;
	return 0;
}

/* MOUNTPOINT, or STORE MOUNTPOINT. 0, or an exit status. */
static int place_args(struct fuse_args *args, struct options *o)
{
	if (o->npos > 2) {
		fprintf(stderr, "mintfs: too many arguments (try --help)\n");
		return 2;
	}
	if (o->npos == 2) {
		if (o->store) {
			fprintf(stderr, "mintfs: the store is given twice\n");
			return 2;
		}
		o->store = o->pos[0];
		o->pos[0] = NULL;
	}
	if (o->npos && fuse_opt_add_arg(args, o->pos[o->npos - 1]))
		return 1;
	return 0;
}

/* Parse our options and libfuse's. Exit status, or -1 to go on. */
static int parse(struct fuse_args *args, struct options *o,
		 struct fuse_cmdline_opts *cl, struct mint_settings *set)
{
	struct spec sp;
	int rc, i;

	if (spec_build(&sp) || fuse_opt_parse(args, o, sp.opt, keep_arg))
		return 2;
	if (o->help) {
		usage(args->argv[0]);
		fuse_lib_help(args);
		return 0;
	}
	if (o->version) {
		printf("mintfs %s (libfuse %s)\n", MINT_VERSION,
		       fuse_pkgversion());
		return 0;
	}
	rc = place_args(args, o);
	if (rc)
		return rc;
	if (fuse_parse_cmdline(args, cl))
		return 2;
	if (o->debug)
		cl->foreground = 1;
	if (!cl->mountpoint) {
		fprintf(stderr, "mintfs: no mount point given "
			"(try --help)\n");
		return 2;
	}
	for (i = 0; mint_size_opts[i].name; i++)
		if (o->size[i] && mint_size_opt_set("mintfs", &mint_size_opts[i],
						    o->size[i], set))
			return 2;
	if (o->no_eager)
		set->eager = 0;
	set->cache_dir = o->cache_dir;
	set->s3_endpoint = o->s3_endpoint;
	set->s3_path_style = o->s3_path_style;
	return -1;
}

/*
 * Mount and serve until unmounted. Exit status. The background workers
 * start after daemonising (threads do not survive the fork) and stop in
 * mint_session_close, after the last request.
 */
static int serve(struct fuse *fuse, struct fuse_cmdline_opts *cl,
		 struct mint_ctx *ctx, struct mint_tree *tree,
		 const struct mint_settings *set)
{
	struct fuse_loop_config *lc;
	int rc = 1;

	if (fuse_mount(fuse, cl->mountpoint))
		return 1;
	if (fuse_daemonize(cl->foreground))
		goto out_unmount;
	if (!cl->foreground)
		mint_log_use_syslog();
	if (set->eager)
		ctx->warm = mint_warm_new(tree, 0);
	mint_session_follow(ctx, set);	/* a thread: after the fork */
	if (fuse_set_signal_handlers(fuse_get_session(fuse)))
		goto out_unmount;
	if (cl->singlethread) {
		rc = fuse_loop(fuse) ? 1 : 0;
	} else {
		lc = fuse_loop_cfg_create();
		if (lc) {
			fuse_loop_cfg_set_clone_fd(lc, cl->clone_fd);
			if (cl->max_threads > 0 && cl->max_threads < 100000)
				fuse_loop_cfg_set_max_threads(lc,
							      cl->max_threads);
			/* -1 means "default"; libfuse 3.14 warns if passed */
			if (cl->max_idle_threads != UINT_MAX)
				fuse_loop_cfg_set_idle_threads(
					lc, cl->max_idle_threads);
			rc = fuse_loop_mt(fuse, lc) ? 1 : 0;
			fuse_loop_cfg_destroy(lc);
		}
	}
	fuse_remove_signal_handlers(fuse_get_session(fuse));
out_unmount:
	fuse_unmount(fuse);
	return rc;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_cmdline_opts cl = { 0 };
	struct options o = { 0 };
	struct mint_settings set;
	struct mint_ctx ctx = { 0 };
	struct mint_tree *tree = NULL;
	struct fuse *fuse = NULL;
	char *store_dir = NULL;
	int rc, i;

	mint_settings_init(&set);
	if (copy_args(argc, argv, &args)) {
		fprintf(stderr, "mintfs: out of memory\n");
		return 1;
	}
	rc = parse(&args, &o, &cl, &set);
	if (rc >= 0)
		goto out;
	rc = 2;
	mint_log_debug_enabled = o.debug || cl.debug;
	if (check_mountpoint(cl.mountpoint))
		goto out;
	/* libfuse's own options are checked here, before any store is
	 * opened; the tree is filled in below, before the mount */
	fuse = fuse_new(&args, mint_fs_operations(),
			sizeof(struct fuse_operations), &tree);
	if (!fuse)
		goto out;
	store_dir = o.store ? strdup(o.store) : mint_default_store();
	if (!store_dir) {
		fprintf(stderr, "mintfs: no store: give --store DIR\n");
		goto out;
	}
	rc = mint_session_open(store_dir, &set, &ctx, &tree);
	if (rc == -ENOMEM)
		fprintf(stderr, "mintfs: out of memory\n");
	if (rc) {			/* else the store said why */
		rc = 1;
		goto out;
	}
	rc = serve(fuse, &cl, &ctx, tree, &set);
	/* the workers stop first, so the line counts all they made */
	mint_session_unfollow(&ctx);
	mint_warm_free(ctx.warm);
	ctx.warm = NULL;
	if (!rc)			/* served: what the caches did */
		mint_session_report(&ctx);
out:
	if (fuse)
		fuse_destroy(fuse);
	mint_session_close(&ctx, tree);
	/* After the caches: no always_random HEIC is made any more. */
	mint_hevc_tiles_free();
	free(store_dir);
	free(cl.mountpoint);
	free(o.store);
	free(o.cache_dir);
	free(o.s3_endpoint);
	for (i = 0; i < MAX_SIZE_OPTS; i++)
		free(o.size[i]);
	for (i = 0; i < 3; i++)
		free(o.pos[i]);
	fuse_opt_free_args(&args);
	return rc;
}
