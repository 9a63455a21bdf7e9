/*
 * s3log.h - one entry of the catalog log kept in an S3 bucket
 * (docs/STORE.md, "The store on S3"): its text form and its parser.
 *
 * An entry is a small text object, so that any S3 tool can read it:
 *
 *   mintfs-log 1
 *   put HASH SIZE MODE MTIME_NS PATH
 *   end
 *
 * with one operation line among
 *   put HASH SIZE MODE MTIME_NS PATH   the content of PATH is blob HASH
 *   unlink PATH
 *   rename FROM TO                     an original
 *   mkdir MODE PATH
 *   rmdir PATH
 *   mvdir NOREPLACE FROM TO            a folder
 *   chmod MODE PATH                    an original
 * MODE in octal, the numbers in decimal. A path is escaped: every byte
 * below 0x21, 0x7f and above, and '%' is written %XX (upper-case hex), so
 * a line never holds a space, a newline or a byte a terminal would act
 * on. The parser accepts exactly what the writer writes.
 */
#ifndef MINT_S3LOG_H
#define MINT_S3LOG_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

enum mint_s3op {
	MINT_S3_PUT, MINT_S3_UNLINK, MINT_S3_RENAME, MINT_S3_MKDIR,
	MINT_S3_RMDIR, MINT_S3_MVDIR, MINT_S3_CHMOD
};

struct mint_s3entry {
	enum mint_s3op op;
	char path[MINT_PATH_MAX + 1];
	char to[MINT_PATH_MAX + 1];	/* rename, mvdir */
	char hash[MINT_HASH_HEX + 1];	/* put */
	uint64_t size;			/* put */
	unsigned mode;			/* put, mkdir, chmod: & 07777 */
	int64_t mtime_ns;		/* put */
	int noreplace;			/* mvdir: 0 or 1 */
};

/* The longest entry text: header, the longest line, "end". */
#define MINT_S3ENTRY_MAX (16 + 2 * 3 * MINT_PATH_MAX + 128)

/*
 * Write e as text into buf (size at least MINT_S3ENTRY_MAX): its length,
 * or -EINVAL for an entry the parser would refuse (a bad path or hash).
 */
int mint_s3entry_format(const struct mint_s3entry *e, char *buf, size_t size);

/* Parse `len` bytes of entry text into *e: 0 or -EINVAL. */
int mint_s3entry_parse(const char *text, size_t len, struct mint_s3entry *e);

#endif
