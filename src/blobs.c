/*
 * blobs.c - the file side of the store (see blobs_i.h): content-addressed
 * blob files under blobs/ab/<hash>, staging files, SHA-256 via libcrypto,
 * and the directory sweeps recovery runs at open. store.c owns the catalog
 * and the ordering; this file only does the file system calls.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "blobs_i.h"
#include "buf.h"
#include "log.h"

#define IO_CHUNK (128 * 1024)

static void hex_encode(const unsigned char *md, char hex[MINT_HASH_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < MINT_HASH_HEX / 2; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[MINT_HASH_HEX] = '\0';
}

void mint_sha256_hex(const void *data, size_t len, char hex[MINT_HASH_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_Digest(len ? data : "", len, md, &n, EVP_sha256(), NULL) ||
	    n != MINT_HASH_HEX / 2) {
		hex[0] = '\0';	/* matches no blob */
		return;
	}
	hex_encode(md, hex);
}

int mint_hash_fd(int fd, char hex[MINT_HASH_HEX + 1], uint64_t *size)
{
	unsigned char md[EVP_MAX_MD_SIZE], *buf;
	EVP_MD_CTX *ctx;
	unsigned int n;
	off_t off = 0;
	ssize_t r;
	int rc;

	ctx = EVP_MD_CTX_new();
	buf = malloc(IO_CHUNK);
	if (!ctx || !buf) {
		rc = -ENOMEM;
		goto out;
	}
	rc = -EIO;
	if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		goto out;
	for (;;) {
		r = pread(fd, buf, IO_CHUNK, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out;
		}
		if (!r)
			break;
		if (!EVP_DigestUpdate(ctx, buf, (size_t)r))
			goto out;
		off += r;
	}
	if (!EVP_DigestFinal_ex(ctx, md, &n) || n != MINT_HASH_HEX / 2)
		goto out;
	hex_encode(md, hex);
	*size = (uint64_t)off;
	rc = 0;
out:
	free(buf);
	EVP_MD_CTX_free(ctx);
	return rc;
}

int mint_hash_valid(const char *hash)
{
	size_t i;

	if (!hash)
		return 0;
	for (i = 0; i < MINT_HASH_HEX; i++)
		if (!((hash[i] >= '0' && hash[i] <= '9') ||
		      (hash[i] >= 'a' && hash[i] <= 'f')))
			return 0;
	return hash[MINT_HASH_HEX] == '\0';
}

void mint_blob_rel(const char *hash, char rel[MINT_BLOB_REL])
{
	snprintf(rel, MINT_BLOB_REL, "%.2s/%s", hash, hash);
}

int mint_mkdir_p(const char *path, mode_t mode)
{
	char *p, *s, c;
	int rc = 0;

	if (!*path)
		return -ENOENT;
	p = strdup(path);
	if (!p)
		return -ENOMEM;
	for (s = p + 1;; s++) {
		if (*s && *s != '/')
			continue;
		c = *s;
		*s = '\0';
		if (mkdir(p, mode) && errno != EEXIST) {
			rc = -errno;
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return rc;
}

/* mkdirat, 1 if made, 0 if it was there, or -errno. */
static int subdir_make(int dir_fd, const char *name)
{
	if (!mkdirat(dir_fd, name, 0700))
		return 1;
	return errno == EEXIST ? 0 : -errno;
}

int mint_subdir_setup(int dir_fd, int *blobs_fd)
{
	int made_b, made_s;

	made_b = subdir_make(dir_fd, "blobs");
	if (made_b < 0)
		return made_b;
	made_s = subdir_make(dir_fd, "staging");
	if (made_s < 0)
		return made_s;
	if ((made_b || made_s) && fsync(dir_fd))
		return -errno;
	*blobs_fd = openat(dir_fd, "blobs", O_RDONLY | O_DIRECTORY |
			   O_CLOEXEC | O_NOFOLLOW);
	return *blobs_fd < 0 ? -errno : 0;
}

/* opendir on a name under dir_fd, never following a symlink. */
static DIR *dir_open_at(int dir_fd, const char *name)
{
	DIR *d;
	int fd;

	fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
		    O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

static int is_dots(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

int mint_staging_clear(int dir_fd)
{
	struct dirent *e;
	DIR *d;

	d = dir_open_at(dir_fd, "staging");
	if (!d)
		return -errno;
	for (;;) {
		e = readdir(d);
		if (!e)
			break;
		if (is_dots(e->d_name))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) && errno != ENOENT)
			mint_log("recovery: cannot remove staging/%s: %s",
				 e->d_name, strerror(errno));
		else
			mint_debug("recovery: removed staging/%s", e->d_name);
	}
	closedir(d);
	return 0;
}

int mint_blob_present(int blobs_fd, const char *hash)
{
	char rel[MINT_BLOB_REL];
	struct stat sb;

	if (!mint_hash_valid(hash))
		return 0;
	mint_blob_rel(hash, rel);
	if (fstatat(blobs_fd, rel, &sb, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	return S_ISREG(sb.st_mode);
}

static void sweep_remove(int fd, const char *sub, const char *name)
{
	if (unlinkat(fd, name, 0) && errno != ENOENT)
		mint_log("recovery: cannot remove blobs/%s%s: %s", sub, name,
			 strerror(errno));
	else
		mint_debug("recovery: removed blobs/%s%s", sub, name);
}

/* One blobs/ab/ directory: keep only wanted blobs whose prefix is ab. */
static int sweep_subdir(int blobs_fd, const char *sub,
			mint_blob_wanted_fn wanted, void *ctx)
{
	char prefix[4];
	struct dirent *e;
	struct stat sb;
	int rc = 0, keep;
	DIR *d;

	d = dir_open_at(blobs_fd, sub);
	if (!d)
		return -errno;
	snprintf(prefix, sizeof(prefix), "%.2s/", sub);
	for (;;) {
		e = readdir(d);
		if (!e)
			break;
		if (is_dots(e->d_name))
			continue;
		keep = mint_hash_valid(e->d_name) &&
		       !strncmp(e->d_name, sub, 2) &&
		       !fstatat(dirfd(d), e->d_name, &sb,
				AT_SYMLINK_NOFOLLOW) &&
		       S_ISREG(sb.st_mode);
		if (keep)
			keep = wanted(e->d_name, ctx);
		if (keep < 0) {
			rc = keep;
			break;
		}
		if (!keep)
			sweep_remove(dirfd(d), prefix, e->d_name);
	}
	closedir(d);
	return rc;
}

/* Two lowercase hex digits, as blobs/ab/ is named. */
static int is_prefix_dir(const char *name)
{
	int i;

	for (i = 0; i < 2; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		      (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return name[2] == '\0';
}

int mint_blob_sweep(int blobs_fd, mint_blob_wanted_fn wanted, void *ctx)
{
	struct dirent *e;
	struct stat sb;
	int rc = 0;
	DIR *d;

	d = dir_open_at(blobs_fd, ".");
	if (!d)
		return -errno;
	for (;;) {
		e = readdir(d);
		if (!e)
			break;
		if (is_dots(e->d_name))
			continue;
		if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW))
			continue;
		if (!S_ISDIR(sb.st_mode)) {
			sweep_remove(dirfd(d), "", e->d_name);
			continue;
		}
		if (!is_prefix_dir(e->d_name)) {
			mint_log("recovery: leaving unknown directory blobs/%s",
				 e->d_name);
			continue;
		}
		rc = sweep_subdir(dirfd(d), e->d_name, wanted, ctx);
		if (rc)
			break;
	}
	closedir(d);
	return rc;
}

int mint_stage_create(int dir_fd, atomic_ulong *seq, struct mint_stage *sg)
{
	int i, fd = -1;

	sg->fd = -1;
	for (i = 0; i < 16; i++) {
		snprintf(sg->path, sizeof(sg->path), "staging/%ld.%lu",
			 (long)getpid(), atomic_fetch_add(seq, 1));
		fd = openat(dir_fd, sg->path, O_RDWR | O_CREAT | O_EXCL |
			    O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		sg->path[0] = '\0';
		return -errno;
	}
	sg->fd = fd;
	return 0;
}

/* The plain way, from where copy_file_range() stopped. */
static int copy_rw(int in, int out, off_t off)
{
	char *buf = malloc(IO_CHUNK);
	ssize_t r, w;
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		r = pread(in, buf, IO_CHUNK, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r ? -EIO : 0;
			break;
		}
		for (w = 0; w < r;) {
			ssize_t n = pwrite(out, buf + w, (size_t)(r - w),
					   off + w);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				rc = -errno;
				goto out;
			}
			w += n;
		}
		off += r;
	}
out:
	free(buf);
	return rc;
}

int mint_copy_fd(int in, int out)
{
	off_t off_in = 0, off_out = 0;
	ssize_t r;

	for (;;) {
		r = copy_file_range(in, &off_in, out, &off_out, 1 << 30, 0);
		if (!r)
			return 0;
		if (r > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
		    errno == EOPNOTSUPP)
			return copy_rw(in, out, off_in);
		return errno == EIO ? -EIO : -errno;
	}
}

int mint_blob_dir_make(int blobs_fd, const char *hash)
{
	char sub[3] = { hash[0], hash[1], '\0' };

	if (mkdirat(blobs_fd, sub, 0700))
		return errno == EEXIST ? 0 : -errno;
	return fsync(blobs_fd) ? -errno : 0;
}

int mint_blob_place(int dir_fd, const char *stage, int blobs_fd,
		    const char *hash, int *created)
{
	char rel[MINT_BLOB_REL];
	struct stat sb;

	*created = 0;
	mint_blob_rel(hash, rel);
	if (!renameat2(dir_fd, stage, blobs_fd, rel, RENAME_NOREPLACE)) {
		*created = 1;
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* No RENAME_NOREPLACE here: look, then rename (same bytes anyway). */
	if (!fstatat(blobs_fd, rel, &sb, AT_SYMLINK_NOFOLLOW))
		return 0;
	if (renameat(dir_fd, stage, blobs_fd, rel))
		return -errno;
	*created = 1;
	return 0;
}

int mint_blob_dir_sync(int blobs_fd, const char *hash)
{
	char sub[3] = { hash[0], hash[1], '\0' };
	int fd, rc = 0;

	fd = openat(blobs_fd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		rc = -errno;
	close(fd);
	return rc;
}

int mint_blob_open(int blobs_fd, const char *hash, int *fd)
{
	char rel[MINT_BLOB_REL];

	*fd = -1;
	if (!mint_hash_valid(hash))
		return -EINVAL;
	mint_blob_rel(hash, rel);
	*fd = openat(blobs_fd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (*fd >= 0)
		return 0;
	if (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
	    errno == ENOENT)
		return -errno;
	return -EIO;
}

int mint_read_all(int fd, size_t max, uint8_t **data, size_t *len)
{
	struct mint_buf b;
	struct stat sb;
	size_t want;
	ssize_t r;
	char probe;
	int rc;

	mint_buf_init(&b, max);
	if (fstat(fd, &sb))
		return -EIO;
	if (max && (uint64_t)sb.st_size > max)
		return -EFBIG;
	/* The size is a hint; reading until EOF is what counts. */
	rc = mint_buf_reserve(&b, sb.st_size > 0 ? (size_t)sb.st_size : 1);
	while (!rc) {
		if (b.len == b.cap) {
			want = IO_CHUNK;
			if (max && want > max - b.len)
				want = max - b.len;
			if (!want) {
				/* At the cap: one more byte means too big. */
				r = read(fd, &probe, 1);
				rc = r > 0 ? -EFBIG : r < 0 ? -EIO : 0;
				break;
			}
			rc = mint_buf_reserve(&b, want);
			continue;
		}
		r = read(fd, b.data + b.len, b.cap - b.len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			rc = -EIO;
		if (r <= 0)
			break;
		b.len += (size_t)r;
	}
	if (rc) {
		mint_buf_release(&b);
		return rc;
	}
	*data = mint_buf_detach(&b, len);
	return 0;
}
