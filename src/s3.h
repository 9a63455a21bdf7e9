/*
 * s3.h - a small S3 client over libcurl: the few calls the store on S3
 * makes (docs/STORE.md, "The store on S3"), signed with libcurl's own AWS
 * SigV4, with connection reuse and retries.
 *
 * Settings are read the way AWS tools read them (mint_s3_conf_load):
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, else the
 * profile AWS_PROFILE (or "default") of the shared credentials file
 * (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials); AWS_REGION,
 * AWS_DEFAULT_REGION (else us-east-1); the endpoint given, else
 * AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS's own. Secrets are kept
 * in memory only: no log line, error or URL ever holds them.
 *
 * Every call is bounded by the client's timeout as a whole: a failed
 * connection, a timeout or a 5xx answer is tried again after a growing
 * pause (50 ms doubling to 2 s) until the deadline, then gives -EIO (or
 * -ETIMEDOUT when nothing answered) with one log line. Threads: every call
 * may run on any thread; each makes its own easy handle and shares the
 * connections.
 *
 * Returns 0 or a negative errno: -ENOENT (404), -EEXIST (412 on a
 * create-only PUT), -EACCES (403), -EIO, -ETIMEDOUT, -ENOMEM.
 */
#ifndef MINT_S3_H
#define MINT_S3_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct mint_s3;

struct mint_s3_conf {
	char *endpoint;		/* "http://127.0.0.1:8000", no trailing '/' */
	char *bucket;
	char *prefix;		/* "" or "team/lib/" (ends in '/') */
	char *region;
	char *key_id;
	char *secret;
	char *token;		/* NULL without a session token */
	int path_style;		/* 1: ENDPOINT/BUCKET/KEY */
	unsigned timeout_ms;	/* one call, with its retries */
};

/*
 * Fill *c from `url` ("s3://BUCKET[/PREFIX]"), an `endpoint` (NULL: from
 * the environment) and the environment and credentials file. 0, or
 * -EINVAL with one log line saying what is missing or wrong.
 */
int mint_s3_conf_load(const char *url, const char *endpoint, int path_style,
		      unsigned timeout_ms, struct mint_s3_conf *c);
void mint_s3_conf_free(struct mint_s3_conf *c);

/* 1 if `store` names a bucket ("s3://..."), else 0. */
int mint_s3_is_url(const char *store);

/* A client over c (copied). 0 or -ENOMEM. */
int mint_s3_open(const struct mint_s3_conf *c, struct mint_s3 **out);
void mint_s3_close(struct mint_s3 *s3);

/* Make the bucket unless it is there. 0, -EACCES (not allowed: logged
 * with the bucket's name), -EIO. */
int mint_s3_bucket_ensure(struct mint_s3 *s3);

/*
 * PUT the `len` bytes at `data` as KEY (relative to the prefix). With
 * `create_only`, If-None-Match: * makes it fail with -EEXIST when the key
 * exists.
 */
int mint_s3_put(struct mint_s3 *s3, const char *key, const void *data,
		size_t len, int create_only);

/* PUT the `size` bytes of file `fd` from offset 0. */
int mint_s3_put_fd(struct mint_s3 *s3, const char *key, int fd,
		   uint64_t size, int create_only);

/* GET KEY into a malloc'd buffer (at most `max` bytes, else -EFBIG). */
int mint_s3_get(struct mint_s3 *s3, const char *key, size_t max,
		char **data, size_t *len);

/* GET KEY into file `fd` (truncated first, on each try). */
int mint_s3_get_fd(struct mint_s3 *s3, const char *key, int fd);

/* DELETE KEY (gone already is 0). */
int mint_s3_delete(struct mint_s3 *s3, const char *key);

/*
 * Call fn for each key under `dir` ("log/") after `start_after` (a key
 * relative to the prefix, or NULL), in key order, with its size and
 * LastModified. fn returns 0 to go on; another value stops the walk and
 * is returned.
 */
typedef int (*mint_s3_each_fn)(const char *key, uint64_t size, time_t mtime,
			       void *ctx);
int mint_s3_list(struct mint_s3 *s3, const char *dir, const char *start_after,
		 mint_s3_each_fn fn, void *ctx);

#endif
