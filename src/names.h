/*
 * names.h - how an original's name becomes the names under Images.
 *
 *   Image Manager/cat.jpg   ->  Images/cat/original/cat.png ...
 *
 * An original's folder is chosen once, when the name is committed or
 * renamed, and kept in the catalog: the first free one of its stem
 * ("cat"), its full name ("cat.jpg"), then "cat (2)", "cat (3)" ... So
 * adding or removing one original never changes another's Images path:
 * with cat.jpg and cat.png, whichever came first is "cat", the other
 * "cat.png" (or "cat.jpg"), and both stay so while they exist.
 *
 * The files in a folder are named after it, plus a suffix a variant adds
 * ("_3", ".jpeg"). So that every such name fits in NAME_MAX (255 bytes),
 * file names use at most MINT_FILE_STEM_MAX bytes of the folder name, cut
 * at a character boundary: a folder of 255 bytes still lists files that
 * open.
 *
 * Pure functions of their arguments: any thread, no locks.
 */
#ifndef MINT_NAMES_H
#define MINT_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Bytes of a folder name that Images file names use. 255 - 32 leaves
 * room for the longest suffix a variant adds, now and later. */
#define MINT_FILE_STEM_MAX (MINT_NAME_MAX - 32)

/*
 * Nonzero if an original named `name` of `size` bytes gets an Images
 * folder. Names starting with '.' or ending in '~' (temporary and backup
 * files of editors, file managers and rsync) get none, nor does an empty
 * file whose name says it is an image: programs create one before writing
 * it, or leave one behind when a copy fails.
 */
int mint_name_has_folder(const char *name, uint64_t size);

/*
 * The k-th choice (k = 0, 1, ...) of folder name for the original `name`
 * into buf (MINT_NAME_MAX + 1 bytes): its stem, its full name (skipped
 * when that is the stem), then "<stem> (2)", "<stem> (3)" ... with the
 * stem cut so the whole fits.
 */
void mint_name_folder_choice(const char *name, unsigned k, char *buf);

/*
 * The same for a folder in Image Manager: it gets an Images folder
 * unless its name starts with '.' or ends in '~' (then nothing in it
 * shows under Images); its k-th choice is its whole name, then
 * "<name> (2)", "<name> (3)" ...
 */
int mint_name_dir_has_folder(const char *name);
void mint_name_dir_choice(const char *name, unsigned k, char *buf);

/* The part of `folder` Images file names start with, into buf
 * (MINT_FILE_STEM_MAX + 1 bytes). */
void mint_name_file_stem(const char *folder, char *buf);

/* The length of the `len` bytes at s cut to at most max without
 * splitting a UTF-8 character (bytes that are not UTF-8 are cut
 * anywhere). */
size_t mint_name_cut(const char *s, size_t len, size_t max);

#endif
