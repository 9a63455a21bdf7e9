/*
 * fs.h - the FUSE operations table (fs.c). Its callbacks expect the
 * struct mint_tree as fuse's private_data.
 */
#ifndef MINT_FS_H
#define MINT_FS_H

struct fuse_operations;

const struct fuse_operations *mint_fs_operations(void);

#endif
