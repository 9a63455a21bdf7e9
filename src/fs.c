/*
 * fs.c - the FUSE layer: libfuse's high-level path operations, each a
 * thin call into the tree (tree.h), whose -errno is passed on as is.
 *
 * Open files and directories keep their tree handle in fi->fh (a
 * directory's lists afresh on every readdir). Per-open files (every open
 * yields new bytes) are read with direct I/O, so the page cache can never
 * mix two handles; everything else may use the page cache but is never
 * kept across opens.
 *
 * The kernel's caches (docs/ARCHITECTURE.md, "Kernel caches"): attributes
 * and negative entries are not kept, so every stat asks and a new name is
 * seen at once. Positive entries are kept for ENTRY_TIMEOUT, so a path's
 * folders are not looked up again for every file under them (ls -lR).
 * A kept entry can outlive its name when that name goes without the
 * kernel seeing it: Images/X when X's original is deleted or renamed, a
 * name the team store's poller removes. Nothing is served from such an
 * entry, since every operation on it asks here by path: a stat, open or
 * access finds the name gone. Open and access, which the kernel sends only
 * for a name it holds, answer ESTALE for a gone name, so the kernel looks
 * the path up again (and creates the file, for an O_CREAT open).
 */
#include <errno.h>
#include <fuse.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "tree.h"

/* Seconds the kernel keeps a name it looked up (see above). */
#define ENTRY_TIMEOUT 1.0

static struct mint_tree *tree(void)
{
	return fuse_get_context()->private_data;
}

static struct mint_handle *handle(struct fuse_file_info *fi)
{
	return (struct mint_handle *)(uintptr_t)fi->fh;
}

/*
 * With -d, one line per request, like a web server's access log:
 *   op path fh=HANDLE size=BYTES off=OFFSET -> RESULT
 * Returns rc, so an operation ends with "return trace(...)".
 */
static int trace(const char *op, const char *path, struct fuse_file_info *fi,
		 size_t size, off_t off, int rc)
{
	if (!mint_log_debug_enabled)
		return rc;
	mint_debug("%-8s %s fh=%llx size=%zu off=%lld -> %d%s%s", op,
		   path ? path : "-", fi ? (unsigned long long)fi->fh : 0ULL,
		   size, (long long)off, rc, rc < 0 ? " " : "",
		   rc < 0 ? strerror(-rc) : "");
	return rc;
}

/*
 * The kernel opens or asks access of a name only through an entry it
 * holds, so a name that is gone here is an entry it kept too long: ESTALE
 * has it look the path up again, which then finds nothing (or makes the
 * file, for an O_CREAT open). Any other failure is passed on.
 */
static int stale(const char *path, int rc)
{
	if (rc == -ENOENT && path && mint_tree_lookup(tree(), path) == -ENOENT)
		return -ESTALE;
	return rc;
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	cfg->use_ino = 1;
	cfg->hard_remove = 1;		/* no .fuse_hidden files */
	cfg->nullpath_ok = 1;
	cfg->entry_timeout = ENTRY_TIMEOUT;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	return *(struct mint_tree **)fuse_get_context()->private_data;
}

static int fs_getattr(const char *path, struct stat *st,
		      struct fuse_file_info *fi)
{
	int rc;

	if (fi)
		rc = mint_handle_getattr(handle(fi), st);
	else
		rc = mint_tree_getattr(tree(), path, st);
	return trace("getattr", path, fi, rc ? 0 : (size_t)st->st_size, 0, rc);
}

struct fill_ctx {
	void *buf;
	fuse_fill_dir_t filler;
};

static int fill(void *arg, const char *name, const struct stat *st)
{
	struct fill_ctx *fc = arg;

	return fc->filler(fc->buf, name, st, 0, 0);
}

static int fs_opendir(const char *path, struct fuse_file_info *fi)
{
	struct mint_handle *h;
	int rc;

	rc = stale(path, mint_tree_opendir(tree(), path, &h));
	if (!rc)
		fi->fh = (uintptr_t)h;
	return trace("opendir", path, fi, 0, 0, rc);
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t filler,
		      off_t off, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	struct fill_ctx fc = { buf, filler };

	(void)off;
	(void)flags;
	return trace("readdir", path, fi, 0, 0,
		     mint_handle_readdir(handle(fi), fill, &fc));
}

static int fs_releasedir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	mint_handle_release(handle(fi));
	return 0;
}

static int fs_mkdir(const char *path, mode_t mode)
{
	return trace("mkdir", path, NULL, 0, 0,
		     mint_tree_mkdir(tree(), path, mode));
}

static int fs_unlink(const char *path)
{
	return trace("unlink", path, NULL, 0, 0,
		     mint_tree_unlink(tree(), path));
}

static int fs_rmdir(const char *path)
{
	return trace("rmdir", path, NULL, 0, 0, mint_tree_rmdir(tree(), path));
}

static int fs_refuse_link(const char *from, const char *to)
{
	(void)from;
	(void)to;
	return -EPERM;
}

static int fs_mknod(const char *path, mode_t mode, dev_t dev)
{
	(void)path;
	(void)mode;
	(void)dev;
	return -EPERM;
}

static int fs_rename(const char *from, const char *to, unsigned int flags)
{
	int rc = mint_tree_rename(tree(), from, to, flags);

	if (mint_log_debug_enabled)
		mint_debug("%-8s %s -> %s flags=%u -> %d", "rename", from, to,
			   flags, rc);
	return rc;
}

static int fs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	return trace("chmod", path, fi, 0, 0,
		     path ? mint_tree_chmod(tree(), path, mode) : -ESTALE);
}

static int fs_chown(const char *path, uid_t uid, gid_t gid,
		    struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	/* only the mounting user owns everything: allow a no-op */
	if ((uid == (uid_t)-1 || uid == getuid()) &&
	    (gid == (gid_t)-1 || gid == getgid()))
		return 0;
	return -EPERM;
}

static int fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	int rc;

	if (size < 0)
		rc = -EINVAL;
	else if (fi)
		rc = mint_handle_truncate(handle(fi), (uint64_t)size);
	else
		rc = mint_tree_truncate(tree(), path, (uint64_t)size);
	return trace("truncate", path, fi, 0, size, rc);
}

static int fs_utimens(const char *path, const struct timespec tv[2],
		      struct fuse_file_info *fi)
{
	return trace("utimens", path, fi, 0, 0,
		     path ? mint_tree_utimens(tree(), path, tv) : -ESTALE);
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	struct mint_handle *h;
	int direct_io, rc;

	rc = stale(path, mint_tree_open(tree(), path, fi->flags, &h,
					&direct_io));
	if (!rc) {
		fi->fh = (uintptr_t)h;
		fi->direct_io = direct_io;
	}
	return trace("open", path, fi, 0, 0, rc);
}

static int fs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct mint_handle *h;
	int rc;

	rc = mint_tree_create(tree(), path, mode, fi->flags, &h);
	if (!rc)
		fi->fh = (uintptr_t)h;
	return trace("create", path, fi, 0, 0, rc);
}

static int fs_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	int rc = off < 0 ? -EINVAL :
		 mint_handle_read(handle(fi), buf, size, (uint64_t)off);

	return trace("read", path, fi, size, off, rc);
}

static int fs_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	int rc = off < 0 ? -EINVAL :
		 mint_handle_write(handle(fi), buf, size, (uint64_t)off);

	return trace("write", path, fi, size, off, rc);
}

/*
 * access() and chdir(): whatever exists may be tried, as when the kernel
 * asked nothing (the operation itself refuses what is not allowed); only
 * a name's being gone is news to the kernel.
 */
static int fs_access(const char *path, int mask)
{
	(void)mask;
	return trace("access", path, NULL, 0, 0,
		     stale(path, mint_tree_lookup(tree(), path)));
}

static int fs_statfs(const char *path, struct statvfs *sv)
{
	return trace("statfs", path, NULL, 0, 0, mint_tree_statfs(tree(), sv));
}

static int fs_flush(const char *path, struct fuse_file_info *fi)
{
	return trace("flush", path, fi, 0, 0, mint_handle_flush(handle(fi)));
}

static int fs_release(const char *path, struct fuse_file_info *fi)
{
	mint_handle_release(handle(fi));
	return trace("release", path, fi, 0, 0, 0);
}

static int fs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)datasync;
	return trace("fsync", path, fi, 0, 0, mint_handle_fsync(handle(fi)));
}

static const struct fuse_operations mint_fs_ops = {
	.init = fs_init,
	.getattr = fs_getattr,
	.opendir = fs_opendir,
	.readdir = fs_readdir,
	.releasedir = fs_releasedir,
	.mkdir = fs_mkdir,
	.mknod = fs_mknod,
	.unlink = fs_unlink,
	.rmdir = fs_rmdir,
	.symlink = fs_refuse_link,
	.link = fs_refuse_link,
	.rename = fs_rename,
	.chmod = fs_chmod,
	.chown = fs_chown,
	.truncate = fs_truncate,
	.utimens = fs_utimens,
	.open = fs_open,
	.create = fs_create,
	.read = fs_read,
	.write = fs_write,
	.access = fs_access,
	.statfs = fs_statfs,
	.flush = fs_flush,
	.release = fs_release,
	.fsync = fs_fsync,
};

const struct fuse_operations *mint_fs_operations(void)
{
	return &mint_fs_ops;
}
