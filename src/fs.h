/*
 * fs.h - the FUSE operations table (fs.c). fuse_new() gets a pointer to
 * a `struct mint_tree *` as user_data, so that libfuse checks its options
 * before the store is opened; the tree must be set there before the
 * mount, and init makes the tree itself the private_data every callback
 * sees.
 */
#ifndef MINT_FS_H
#define MINT_FS_H

struct fuse_operations;

const struct fuse_operations *mint_fs_operations(void);

#endif
