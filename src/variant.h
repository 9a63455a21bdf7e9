/*
 * variant.h - the variant interface: an original's pixels in, the bytes of
 * one Images file out.
 *
 * Each variant lives in its own file under variants/ and is listed once in
 * mint_variants[] (src/registry.c). A variant names a folder
 * (Images/<name>/<folder>/) holding `copies` files per format:
 *   copies == 1:  <stem>.png  <stem>.jpeg  <stem>.webp
 *   copies  > 1:  <stem>_0.png ... <stem>_<copies-1>.webp
 * or, when it sets `files`, exactly the files of that table, each named
 * <stem><suffix>.<ext> (exif/: <stem>_orientation_6.jpeg). Every walker
 * of a folder's files (listing, lookup, inode numbers, sizes made at
 * commit) goes through mint_variant_file(), so both kinds read alike.
 *
 * A variant states what it supports as flags in its own struct: `cached`
 * (deterministic, made once and kept in the cache) and `per_open` (new
 * bytes on every open). The tree
 * makes every file through mint_variant_make(), which honours them, so a
 * variant's make() only makes.
 *
 * Threads: make() runs on many threads at once and must hold no state of
 * its own outside the source and the cache (source.h).
 */
#ifndef MINT_VARIANT_H
#define MINT_VARIANT_H

#include <stdint.h>

#include "content.h"
#include "encode.h"
#include "source.h"

/* Longest suffix plus "." plus extension a variant may add to a stem
 * (names.h keeps room for it: MINT_FILE_STEM_MAX). */
#define MINT_VARIANT_SUFFIX_MAX 31

/* At most this many files per variant folder: a file's inode holds 8
 * bits of its index (INO_VFILE, tree_i.h). */
#define MINT_VARIANT_FILES_MAX 256

/* One row of a variant's own table of files. */
struct mint_variant_file {
	const char *suffix;	/* after the stem: "_orientation_6", "" */
	const char *ext;	/* of the name, no dot; may differ from fmt's
				 * (broken/'s PNG bytes named .jpeg) */
	enum mint_format fmt;	/* passed to make() */
	unsigned arg;		/* the variant's own: a case, an orientation */
};

struct mint_variant {
	/* MUST: folder name under Images/<name>/. */
	const char *name;

	/* MUST unless `files` is set: files per format, at least 1 (see the
	 * naming above). */
	unsigned copies;

	/*
	 * MAY: the folder's files, `nfiles` rows (1 to
	 * MINT_VARIANT_FILES_MAX), in listing order; it replaces copies x
	 * formats. make() gets row i as `index` i and the row's `fmt`, and
	 * finds the rest in self->files[i]. NULL: copies x formats.
	 */
	const struct mint_variant_file *files;
	unsigned nfiles;

	/*
	 * MAY: nonzero if make() is deterministic (one source, format and copy
	 * always give the same bytes): mint_variant_make() then makes each
	 * file once and keeps it in the cache, however many threads ask.
	 * 0: every mint_variant_make() calls make().
	 */
	int cached;

	/*
	 * MAY: nonzero if make() gives its format's base bytes as they are
	 * (original/): where those are the bytes the format's other files
	 * are spliced from, the disk level keeps them once, as the root of
	 * their deltas (diskdelta.h), not also as this file.
	 */
	int base_file;

	/*
	 * MAY: nonzero if every open yields new bytes. Such files are read
	 * with direct I/O and never cached whole, even if `cached` is set;
	 * every generation of one (source, format) has the same length, so
	 * stat() stays true.
	 */
	int per_open;

	/*
	 * MAY: nonzero if the files are made not to decode (broken/): what
	 * checks Images files decodes every other variant's, and lets these
	 * be anything, empty too. The tree serves them as any other.
	 */
	int invalid;

	/*
	 * MUST: make the content of copy `index` in `fmt`. 0 and a reference
	 * in *out (caller unrefs), or -errno. `self` is this struct. Called
	 * by mint_variant_make(), which does the caching.
	 */
	int (*make)(const struct mint_variant *self, struct mint_source *src,
		    enum mint_format fmt, unsigned index,
		    struct mint_content **out);

	/*
	 * MAY: the length of copy `index` in `fmt` (for a per_open variant,
	 * of every generation of it) without making one: distinct/'s make
	 * is a whole encode, always_random's HEIC codes a tile, counter/'s
	 * BMP has its base's length. 0 and *len, or -errno; -EAGAIN: not
	 * known without a make. NULL or -EAGAIN: a stat makes the file (one
	 * generation) and takes its length.
	 */
	int (*length)(const struct mint_variant *self, struct mint_source *src,
		      enum mint_format fmt, unsigned index, uint64_t *len);

	/*
	 * MAY: free what the libraries behind this variant keep for the life
	 * of the process (font caches), once no make() can run. NULL: there
	 * is nothing to free.
	 */
	void (*cleanup)(void);
};

/* One file of a variant folder, as every walker sees it. */
struct mint_vfile {
	enum mint_format fmt;	/* for make() */
	unsigned index;		/* for make(); in the file's inode */
	char tail[MINT_VARIANT_SUFFIX_MAX + 1];	/* "_3.png": the name is
						 * the stem, then this */
};

/* How many files a folder of `v` lists. */
unsigned mint_variant_nfiles(const struct mint_variant *v);

/*
 * File `i` (below mint_variant_nfiles(v)) of a folder of `v`, in *f:
 * copies x formats are listed format by format, copy by copy. Any thread.
 */
void mint_variant_file(const struct mint_variant *v, unsigned i,
		       struct mint_vfile *f);

/*
 * The content of copy `index` of `v` in `fmt`, as the tree serves it: for
 * a cached variant from the cache under "<src key>:<folder>:<ext>:<index>",
 * else from its disk level (ctx->diskcache, when set), else made once
 * (single flight) and written to disk (variant.c); for any other variant
 * from a new make(). 0 and a reference in *out (caller unrefs), or make()'s
 * -errno.
 */
int mint_variant_make(const struct mint_variant *v, struct mint_source *src,
		      enum mint_format fmt, unsigned index,
		      struct mint_content **out);

/*
 * The length of copy `index` of `v` in `fmt`: the variant's length() when
 * it has one, else the size of a content mint_variant_make() makes. 0 and
 * *len, or -errno.
 */
int mint_variant_length(const struct mint_variant *v, struct mint_source *src,
			enum mint_format fmt, unsigned index, uint64_t *len);

/* How many times mint_variant_make() called a cached variant's make() in
 * this process (the encodes and splices the caches did not save). */
uint64_t mint_variant_made(void);

/* NULL-terminated table, in folder listing order. */
extern const struct mint_variant *const mint_variants[];

/* The variant whose folder is `name`, or NULL. */
const struct mint_variant *mint_variant_find(const char *name);

/*
 * Run every variant's cleanup; at exit, after the last make() and after
 * mint_generators_cleanup() (a cleanup may reset what a library keeps for
 * the whole process: see variants/counter.c).
 */
void mint_variants_cleanup(void);

/* Each variant, defined in its own file under variants/. */
extern const struct mint_variant mint_variant_original;
extern const struct mint_variant mint_variant_always_random;
extern const struct mint_variant mint_variant_counter;
extern const struct mint_variant mint_variant_exif;
extern const struct mint_variant mint_variant_broken;
extern const struct mint_variant mint_variant_animated;
extern const struct mint_variant mint_variant_distinct;

#endif
