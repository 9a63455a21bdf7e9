/*
 * blobs_i.h - private to store.c: the file side of the store (blob paths,
 * hashing, staging files, placing a blob, recovery sweeps). Nothing here
 * touches the catalog or takes the store's mutex; store.c decides when to
 * call what.
 *
 * All paths are relative to a directory fd: blobs as "ab/<hash>" under
 * blobs/, staging files as "staging/<pid>.<n>" under the store directory.
 * No path is ever built from a user's file name. Functions return 0 or a
 * negative errno and do not log unless they say so.
 */
#ifndef MINT_BLOBS_I_H
#define MINT_BLOBS_I_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store.h"

/* "ab/" + 64 hex digits + NUL */
#define MINT_BLOB_REL (3 + MINT_HASH_HEX + 1)

/* 1 if hash is 64 lowercase hex digits, else 0. */
int mint_hash_valid(const char *hash);

/* "ab/<hash>" into rel; hash must be valid. */
void mint_blob_rel(const char *hash, char rel[MINT_BLOB_REL]);

/* mkdir -p path, each new directory with mode. */
int mint_mkdir_p(const char *path, mode_t mode);

/*
 * Make blobs/ and staging/ (0700) under dir_fd if missing, fsyncing dir_fd
 * when one was made, and open blobs/ into *blobs_fd (caller closes).
 */
int mint_subdir_setup(int dir_fd, int *blobs_fd);

/* Remove every file in staging/ (logged when one cannot go). */
int mint_staging_clear(int dir_fd);

/* 1 if the blob is a regular file, 0 if missing, or -errno. */
int mint_blob_present(int blobs_fd, const char *hash);

/*
 * Remove every file under blobs/ that is not a blob wanted() names: stray
 * files, temp files, misplaced or badly named ones. wanted() returns 1 to
 * keep, 0 to remove, -errno to stop. Removals are logged with -d.
 */
typedef int (*mint_blob_wanted_fn)(const char *hash, void *ctx);
int mint_blob_sweep(int blobs_fd, mint_blob_wanted_fn wanted, void *ctx);

/* Create a fresh staging file (O_EXCL, 0600) named from pid and *seq. */
int mint_stage_create(int dir_fd, atomic_ulong *seq, struct mint_stage *sg);

/* Copy all of in (from offset 0) to out (at offset 0). */
int mint_copy_fd(int in, int out);

/* SHA-256 (hex) and length of everything fd holds, read with pread. */
int mint_hash_fd(int fd, char hex[MINT_HASH_HEX + 1], uint64_t *size);

/* mkdir blobs/ab for hash when missing; fsync blobs/ when it was made. */
int mint_blob_dir_make(int blobs_fd, const char *hash);

/*
 * Rename the staging file stage (under dir_fd) to blobs/ab/<hash> without
 * replacing an existing blob: *created is 1 when it moved, 0 when the blob
 * existed already (the staging file is then left where it is).
 */
int mint_blob_place(int dir_fd, const char *stage, int blobs_fd,
		    const char *hash, int *created);

/* fsync blobs/ab for hash. */
int mint_blob_dir_sync(int blobs_fd, const char *hash);

/* Open a blob read-only: -EINVAL for a bad hash, -EIO if missing. */
int mint_blob_open(int blobs_fd, const char *hash, int *fd);

/*
 * Read all of fd into a malloc'd buffer (caller frees, never NULL on
 * success, even when empty). -EFBIG past max (0: no limit), -ENOMEM, -EIO.
 */
int mint_read_all(int fd, size_t max, uint8_t **data, size_t *len);

#endif
