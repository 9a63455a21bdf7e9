/*
 * fs.c - the FUSE layer: libfuse's high-level path operations, each a
 * thin call into the tree (tree.h), whose -errno is passed on as is.
 *
 * Open files keep their tree handle in fi->fh. Per-open files (every open
 * yields new bytes) are read with direct I/O, so the page cache can never
 * mix two handles; everything else may use the page cache but is never
 * kept across opens, and attributes and entries are not cached at all, so
 * a replaced or renamed original is seen at once.
 */
#include <errno.h>
#include <fuse.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "tree.h"

static struct mint_tree *tree(void)
{
	return fuse_get_context()->private_data;
}

static struct mint_handle *handle(struct fuse_file_info *fi)
{
	return (struct mint_handle *)(uintptr_t)fi->fh;
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	cfg->use_ino = 1;
	cfg->hard_remove = 1;		/* no .fuse_hidden files */
	cfg->nullpath_ok = 1;
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	return fuse_get_context()->private_data;
}

static int fs_getattr(const char *path, struct stat *st,
		      struct fuse_file_info *fi)
{
	if (fi)
		return mint_handle_getattr(handle(fi), st);
	return mint_tree_getattr(tree(), path, st);
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

/* A directory handle is its path: listings are made fresh by readdir. */
static int fs_opendir(const char *path, struct fuse_file_info *fi)
{
	struct stat st;
	char *copy;
	int rc;

	rc = mint_tree_getattr(tree(), path, &st);
	if (rc)
		return rc;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	fi->fh = (uintptr_t)copy;
	return 0;
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t filler,
		      off_t off, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	struct fill_ctx fc = { buf, filler };

	(void)path;
	(void)off;
	(void)flags;
	return mint_tree_readdir(tree(), (const char *)(uintptr_t)fi->fh,
				 fill, &fc);
}

static int fs_releasedir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	free((char *)(uintptr_t)fi->fh);
	return 0;
}

static int fs_mkdir(const char *path, mode_t mode)
{
	return mint_tree_mkdir(tree(), path, mode);
}

static int fs_unlink(const char *path)
{
	return mint_tree_unlink(tree(), path);
}

static int fs_rmdir(const char *path)
{
	return mint_tree_rmdir(tree(), path);
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
	return mint_tree_rename(tree(), from, to, flags);
}

static int fs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	(void)fi;
	if (!path)
		return -ESTALE;
	return mint_tree_chmod(tree(), path, mode);
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
	if (size < 0)
		return -EINVAL;
	if (fi)
		return mint_handle_truncate(handle(fi), (uint64_t)size);
	return mint_tree_truncate(tree(), path, (uint64_t)size);
}

static int fs_utimens(const char *path, const struct timespec tv[2],
		      struct fuse_file_info *fi)
{
	(void)fi;
	if (!path)
		return -ESTALE;
	return mint_tree_utimens(tree(), path, tv);
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	struct mint_handle *h;
	int direct_io, rc;

	rc = mint_tree_open(tree(), path, fi->flags, &h, &direct_io);
	if (rc)
		return rc;
	fi->fh = (uintptr_t)h;
	fi->direct_io = direct_io;
	return 0;
}

static int fs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct mint_handle *h;
	int rc;

	rc = mint_tree_create(tree(), path, mode, fi->flags, &h);
	if (rc)
		return rc;
	fi->fh = (uintptr_t)h;
	return 0;
}

static int fs_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	(void)path;
	if (off < 0)
		return -EINVAL;
	return mint_handle_read(handle(fi), buf, size, (uint64_t)off);
}

static int fs_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)path;
	if (off < 0)
		return -EINVAL;
	return mint_handle_write(handle(fi), buf, size, (uint64_t)off);
}

static int fs_statfs(const char *path, struct statvfs *sv)
{
	(void)path;
	return mint_tree_statfs(tree(), sv);
}

static int fs_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	return mint_handle_flush(handle(fi));
}

static int fs_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	mint_handle_release(handle(fi));
	return 0;
}

static int fs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync;
	return mint_handle_fsync(handle(fi));
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
	.statfs = fs_statfs,
	.flush = fs_flush,
	.release = fs_release,
	.fsync = fs_fsync,
};

const struct fuse_operations *mint_fs_operations(void)
{
	return &mint_fs_ops;
}
