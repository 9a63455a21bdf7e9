/*
 * test_s3log.c - the catalog log entry of the store on S3 (src/s3log.c):
 * every operation goes to text and back unchanged, odd names are escaped
 * so a line never holds a space or a newline, and the parser refuses
 * anything the writer would not write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "s3log.h"

static char buf[MINT_S3ENTRY_MAX];

static const char *H =
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static int parse(const char *text, struct mint_s3entry *e)
{
	return mint_s3entry_parse(text, strlen(text), e);
}

static void round_trip(void)
{
	static struct mint_s3entry e, g;
	int op, n;

	for (op = MINT_S3_PUT; op <= MINT_S3_CHMOD; op++) {
		memset(&e, 0, sizeof(e));
		e.op = (enum mint_s3op)op;
		strcpy(e.path, "holiday/beach 1.jpg");
		strcpy(e.to, "other/b%c.jpg");
		strcpy(e.hash, H);
		e.size = 123456789012ULL;
		e.mode = 0640;
		e.mtime_ns = -5;
		e.noreplace = 1;
		n = mint_s3entry_format(&e, buf, sizeof(buf));
		REQUIRE(n > 0);
		EXPECT_EQ(parse(buf, &g), 0);
		EXPECT_EQ(g.op, op);
		EXPECT(!strcmp(g.path, e.path));
		EXPECT(!strchr(buf + 13, ' ') || strchr(buf, '\n'));
	}
	EXPECT_EQ(g.op, MINT_S3_CHMOD);
	EXPECT_EQ(g.mode, 0640);
}

static void put_fields(void)
{
	struct mint_s3entry e = { .op = MINT_S3_PUT, .size = 7, .mode = 0644,
				  .mtime_ns = 1700000000123456789LL };
	static struct mint_s3entry g;

	strcpy(e.path, "a/b.png");
	strcpy(e.hash, H);
	REQUIRE(mint_s3entry_format(&e, buf, sizeof(buf)) > 0);
	EXPECT(!strcmp(buf, "mintfs-log 1\nput 0123456789abcdef0123456789abcd"
		       "ef0123456789abcdef0123456789abcdef 7 644 "
		       "1700000000123456789 a/b.png\nend\n"));
	REQUIRE(parse(buf, &g) == 0);
	EXPECT(!strcmp(g.hash, H));
	EXPECT_EQ(g.size, 7);
	EXPECT_EQ(g.mode, 0644);
	EXPECT_EQ(g.mtime_ns, 1700000000123456789LL);
}

static void odd_names_escaped(void)
{
	struct mint_s3entry e = { .op = MINT_S3_RENAME };
	static struct mint_s3entry g;

	strcpy(e.path, "new\nline %20 \x01\xc3\xa9");
	strcpy(e.to, "x");
	REQUIRE(mint_s3entry_format(&e, buf, sizeof(buf)) > 0);
	EXPECT(!strcmp(buf, "mintfs-log 1\nrename new%0Aline%20%2520%20%01"
		       "%C3%A9 x\nend\n"));
	REQUIRE(parse(buf, &g) == 0);
	EXPECT(!strcmp(g.path, e.path));
	EXPECT(!strcmp(g.to, "x"));
}

static void refuses(void)
{
	static struct mint_s3entry g;
	static const char *bad[] = {
		"",
		"mintfs-log 1\nunlink a\n",		/* no end */
		"mintfs-log 2\nunlink a\nend\n",	/* another version */
		"mintfs-log 1\nunlink  a\nend\n",	/* two spaces */
		"mintfs-log 1\nunlink a \nend\n",	/* a space at the end */
		"mintfs-log 1\nunlink a b\nend\n",	/* a word too many */
		"mintfs-log 1\nunlink\nend\n",
		"mintfs-log 1\nunlink a\nunlink b\nend\n",
		"mintfs-log 1\nunlink ..\nend\n",
		"mintfs-log 1\nunlink a//b\nend\n",
		"mintfs-log 1\nunlink /a\nend\n",
		"mintfs-log 1\nunlink %41\nend\n",	/* 'A' is written plain */
		"mintfs-log 1\nunlink %00\nend\n",
		"mintfs-log 1\nunlink %2\nend\n",
		"mintfs-log 1\nunlink %2f\nend\n",	/* lower-case hex */
		"mintfs-log 1\nremove a\nend\n",
		"mintfs-log 1\nmkdir 0755 a\nend\n",	/* a leading zero */
		"mintfs-log 1\nmkdir 10000 a\nend\n",	/* past 07777 */
		"mintfs-log 1\nmkdir 8 a\nend\n",
		"mintfs-log 1\nmvdir 2 a b\nend\n",
		"mintfs-log 1\nput 0123 1 644 0 a\nend\n",
		"mintfs-log 1\nput 0123456789ABCDEF0123456789abcdef0123456789"
		"abcdef0123456789abcdef 1 644 0 a\nend\n",
		"mintfs-log 1\nput 0123456789abcdef0123456789abcdef0123456789"
		"abcdef0123456789abcdef 99999999999999999999 644 0 a\nend\n",
		"mintfs-log 1\nput 0123456789abcdef0123456789abcdef0123456789"
		"abcdef0123456789abcdef -1 644 0 a\nend\n",
		"mintfs-log 1\nput 0123456789abcdef0123456789abcdef0123456789"
		"abcdef0123456789abcdef 1 644 -0 a\nend\n",	/* fuzz */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i], &g);

		if (rc != -EINVAL)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
		EXPECT_EQ(rc, -EINVAL);
	}
	EXPECT_EQ(parse("mintfs-log 1\nmvdir 0 a b\nend\n", &g), 0);
	EXPECT_EQ(parse("mintfs-log 1\nmkdir 0 a\nend\n", &g), 0);
}

static void writer_refuses_bad_paths(void)
{
	struct mint_s3entry e = { .op = MINT_S3_UNLINK };

	strcpy(e.path, "a/../b");
	EXPECT_EQ(mint_s3entry_format(&e, buf, sizeof(buf)), -EINVAL);
	e.op = MINT_S3_PUT;
	strcpy(e.path, "a");
	strcpy(e.hash, "xyz");
	EXPECT_EQ(mint_s3entry_format(&e, buf, sizeof(buf)), -EINVAL);
}

CHECK_MAIN(CHECK_CASE(round_trip), CHECK_CASE(put_fields),
	   CHECK_CASE(odd_names_escaped), CHECK_CASE(refuses),
	   CHECK_CASE(writer_refuses_bad_paths))
