/*
 * main.c - the mintfs command: options, the store, then the FUSE loop.
 *
 *   mintfs [--store DIR] [--cache-size BYTES] [--max-pixels N]
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

#include "cache.h"
#include "cmdline.h"
#include "ctx.h"
#include "fs.h"
#include "generator.h"
#include "log.h"
#include "store.h"
#include "tree.h"
#include "variant.h"

#define DEFAULT_CACHE (256ULL << 20)

struct options {
	char *store;
	char *cache_size;
	char *max_pixels;
	char *max_handles;
	char *max_text;
	char *max_file;
	int help;
	int version;
	int debug;		/* -d: our one-line request log */
	char *pos[3];		/* non-option arguments */
	int npos;
};

#define OPT(t, m) { t, offsetof(struct options, m), 1 }
static const struct fuse_opt option_spec[] = {
	OPT("--store=%s", store),
	OPT("store=%s", store),
	OPT("--cache-size=%s", cache_size),
	OPT("cache_size=%s", cache_size),
	OPT("--max-pixels=%s", max_pixels),
	OPT("max_pixels=%s", max_pixels),
	OPT("--max-file-size=%s", max_file),
	OPT("max_file_size=%s", max_file),
	OPT("--max-text=%s", max_text),
	OPT("max_text=%s", max_text),
	OPT("--max-handle-memory=%s", max_handles),
	OPT("max_handle_memory=%s", max_handles),
	OPT("-h", help),
	OPT("--help", help),
	OPT("-V", version),
	OPT("--version", version),
	OPT("-d", debug),
	OPT("--debug", debug),
	FUSE_OPT_END
};

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
	       "    --cache-size=BYTES   memory for decoded and encoded images\n"
	       "                         (default 256M; K, M, G suffixes)\n"
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
	static const char *const joined[] = {
		"--store", "--cache-size", "--max-pixels",
		"--max-handle-memory", "--max-text", "--max-file-size", NULL
	};
	const char *const *name;
	char *arg;
	int i, rc;

	for (i = 0; i < argc; i++) {
		for (name = joined; *name && i + 1 < argc; name++)
			if (!strcmp(argv[i], *name))
				break;
		if (i + 1 >= argc || !*name) {
			if (fuse_opt_add_arg(args, argv[i]))
				return -ENOMEM;
			continue;
		}
		if (asprintf(&arg, "%s=%s", *name, argv[++i]) < 0)
			return -ENOMEM;
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
		 struct fuse_cmdline_opts *cl)
{
	int rc;

	if (fuse_opt_parse(args, o, option_spec, keep_arg))
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
	return -1;
}

/* Mount and serve until unmounted. Exit status. */
static int serve(struct fuse_args *args, struct fuse_cmdline_opts *cl,
		 struct mint_tree *tree)
{
	struct fuse_loop_config *lc;
	struct fuse *fuse;
	int rc = 1;

	fuse = fuse_new(args, mint_fs_operations(),
			sizeof(struct fuse_operations), tree);
	if (!fuse)
		return 2;
	if (fuse_mount(fuse, cl->mountpoint))
		goto out_destroy;
	if (fuse_daemonize(cl->foreground))
		goto out_unmount;
	if (!cl->foreground)
		mint_log_use_syslog();
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
out_destroy:
	fuse_destroy(fuse);
	return rc;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_cmdline_opts cl = { 0 };
	struct options o = { 0 };
	unsigned long long cache_size = DEFAULT_CACHE, max_pixels, max_handles;
	struct mint_ctx ctx = { 0 };
	struct mint_tree *tree = NULL;
	char *store_dir = NULL;
	int rc, i;

	ctx.limits.max_pixels = MINT_DEFAULT_MAX_PIXELS;
	ctx.limits.max_text = MINT_DEFAULT_MAX_TEXT;
	ctx.limits.max_handles = MINT_DEFAULT_MAX_HANDLES;
	ctx.limits.max_file = MINT_DEFAULT_MAX_FILE;
	if (copy_args(argc, argv, &args)) {
		fprintf(stderr, "mintfs: out of memory\n");
		return 1;
	}
	rc = parse(&args, &o, &cl);
	if (rc >= 0)
		goto out;
	rc = 2;
	if (o.cache_size && mint_parse_size(o.cache_size, &cache_size)) {
		fprintf(stderr, "mintfs: --cache-size: not a size: %s\n",
			o.cache_size);
		goto out;
	}
	if (o.max_pixels) {
		if (mint_parse_size(o.max_pixels, &max_pixels) || !max_pixels) {
			fprintf(stderr, "mintfs: --max-pixels: not a "
				"number: %s\n", o.max_pixels);
			goto out;
		}
		ctx.limits.max_pixels = max_pixels;
	}
	if (o.max_text) {
		unsigned long long v;

		if (mint_parse_size(o.max_text, &v) || !v) {
			fprintf(stderr, "mintfs: --max-text: not a size: %s\n",
				o.max_text);
			goto out;
		}
		ctx.limits.max_text = v;
	}
	if (o.max_file) {
		unsigned long long v;

		if (mint_parse_size(o.max_file, &v) || !v) {
			fprintf(stderr, "mintfs: --max-file-size: not a size: "
				"%s\n", o.max_file);
			goto out;
		}
		ctx.limits.max_file = v;
	}
	if (o.max_handles) {
		if (mint_parse_size(o.max_handles, &max_handles)) {
			fprintf(stderr, "mintfs: --max-handle-memory: not a "
				"size: %s\n", o.max_handles);
			goto out;
		}
		ctx.limits.max_handles = max_handles;
	}
	mint_log_debug_enabled = o.debug || cl.debug;
	if (check_mountpoint(cl.mountpoint))
		goto out;
	store_dir = o.store ? strdup(o.store) : mint_default_store();
	if (!store_dir) {
		fprintf(stderr, "mintfs: no store: give --store DIR\n");
		goto out;
	}
	rc = mint_store_open(store_dir, &ctx.store);
	if (rc) {			/* the store said why */
		rc = 1;
		goto out;
	}
	ctx.cache = mint_cache_new(cache_size);
	tree = ctx.cache ? mint_tree_new(&ctx) : NULL;
	if (!tree) {
		fprintf(stderr, "mintfs: out of memory\n");
		rc = 1;
		goto out;
	}
	rc = serve(&args, &cl, tree);
out:
	mint_tree_free(tree);
	mint_generators_cleanup();
	mint_variants_cleanup();
	mint_cache_free(ctx.cache);
	mint_store_close(ctx.store);
	free(store_dir);
	free(cl.mountpoint);
	free(o.store);
	free(o.cache_size);
	free(o.max_pixels);
	free(o.max_handles);
	free(o.max_text);
	free(o.max_file);
	for (i = 0; i < 3; i++)
		free(o.pos[i]);
	fuse_opt_free_args(&args);
	return rc;
}
