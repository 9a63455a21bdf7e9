/*
 * s3.c - the S3 client (s3.h): URLs, one request with its retries, and
 * the verbs the store uses. Settings are read in s3conf.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "log.h"
#include "s3.h"

struct mint_s3 {
	struct mint_s3_conf c;
	char sigv4[128];		/* "aws:amz:REGION:s3" */
	CURLSH *share;			/* connections, reused by every call */
	pthread_mutex_t share_lock[CURL_LOCK_DATA_LAST];
};

/* ---- the client ---- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a,
		       void *ctx)
{
	struct mint_s3 *s3 = ctx;

	(void)h;
	(void)a;
	pthread_mutex_lock(&s3->share_lock[d]);
}

static void share_unlock(CURL *h, curl_lock_data d, void *ctx)
{
	struct mint_s3 *s3 = ctx;

	(void)h;
	pthread_mutex_unlock(&s3->share_lock[d]);
}

static char *dup_or(const char *s, int *bad)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*bad = 1;
	return d;
}

int mint_s3_open(const struct mint_s3_conf *c, struct mint_s3 **out)
{
	struct mint_s3 *s3;
	int bad = 0, i;

	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return -ENOMEM;
	s3 = calloc(1, sizeof(*s3));
	if (!s3)
		return -ENOMEM;
	s3->c.endpoint = dup_or(c->endpoint, &bad);
	s3->c.bucket = dup_or(c->bucket, &bad);
	s3->c.prefix = dup_or(c->prefix, &bad);
	s3->c.region = dup_or(c->region, &bad);
	s3->c.key_id = dup_or(c->key_id, &bad);
	s3->c.secret = dup_or(c->secret, &bad);
	s3->c.token = dup_or(c->token, &bad);
	s3->c.path_style = c->path_style;
	s3->c.timeout_ms = c->timeout_ms;
	snprintf(s3->sigv4, sizeof(s3->sigv4), "aws:amz:%s:s3", c->region);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&s3->share_lock[i], NULL);
	s3->share = curl_share_init();
	if (bad || !s3->share) {
		mint_s3_close(s3);
		return -ENOMEM;
	}
	curl_share_setopt(s3->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(s3->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(s3->share, CURLSHOPT_USERDATA, s3);
	curl_share_setopt(s3->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(s3->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	*out = s3;
	return 0;
}

void mint_s3_close(struct mint_s3 *s3)
{
	int i;

	if (!s3)
		return;
	if (s3->share)
		curl_share_cleanup(s3->share);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&s3->share_lock[i]);
	mint_s3_conf_free(&s3->c);
	free(s3);
}

/* ---- one request ---- */

/* Append s to the growing string *b (of *n bytes), %XX-escaping what is
 * not unreserved; '/' kept when `slash`. 0 or -ENOMEM. */
static int put_escaped(char **b, size_t *n, const char *s, int slash)
{
	size_t need = *n + 3 * strlen(s) + 1;
	char *nb = realloc(*b, need), *p;

	if (!nb)
		return -ENOMEM;
	*b = nb;
	p = nb + *n;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' ||
		    ch == '~' || (slash && ch == '/'))
			*p++ = (char)ch;
		else
			p += sprintf(p, "%%%02X", ch);
	}
	*p = '\0';
	*n = (size_t)(p - nb);
	return 0;
}

static int put_raw(char **b, size_t *n, const char *s)
{
	size_t len = strlen(s);
	char *nb = realloc(*b, *n + len + 1);

	if (!nb)
		return -ENOMEM;
	memcpy(nb + *n, s, len + 1);
	*b = nb;
	*n += len;
	return 0;
}

/* The URL of KEY (with the prefix; NULL: the bucket) and a query. */
static char *url_of(const struct mint_s3 *s3, const char *key,
		    const char *query)
{
	char *u = NULL;
	size_t n = 0;
	int rc = 0;
	const char *host = strstr(s3->c.endpoint, "://") + 3;

	if (s3->c.path_style) {
		rc |= put_raw(&u, &n, s3->c.endpoint);
		rc |= put_raw(&u, &n, "/");
		rc |= put_escaped(&u, &n, s3->c.bucket, 0);
	} else {
		char scheme[16];

		snprintf(scheme, sizeof(scheme), "%.*s",
			 (int)(host - s3->c.endpoint), s3->c.endpoint);
		rc |= put_raw(&u, &n, scheme);
		rc |= put_escaped(&u, &n, s3->c.bucket, 0);
		rc |= put_raw(&u, &n, ".");
		rc |= put_raw(&u, &n, host);
	}
	rc |= put_raw(&u, &n, "/");
	if (key) {
		rc |= put_escaped(&u, &n, s3->c.prefix, 1);
		rc |= put_escaped(&u, &n, key, 1);
	}
	if (query) {
		rc |= put_raw(&u, &n, "?");
		rc |= put_raw(&u, &n, query);
	}
	if (rc) {
		free(u);
		return NULL;
	}
	return u;
}

struct req {
	const char *method;		/* GET PUT DELETE HEAD */
	const char *what;		/* for the log line */
	int create_only;
	/* the body sent */
	const char *data;
	size_t len;
	int in_fd;
	uint64_t in_size;
	uint64_t in_off;
	/* the body received */
	int out_fd;			/* -1: into buf */
	char *buf;
	size_t blen, bcap, bmax;
	int too_big;
	long status;
};

static size_t on_read(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct req *r = ctx;
	size_t want = size * nmemb;

	if (r->in_fd >= 0) {
		ssize_t got;

		if (r->in_off >= r->in_size)
			return 0;
		if (want > r->in_size - r->in_off)
			want = (size_t)(r->in_size - r->in_off);
		got = pread(r->in_fd, ptr, want, (off_t)r->in_off);
		if (got <= 0)
			return CURL_READFUNC_ABORT;
		r->in_off += (uint64_t)got;
		return (size_t)got;
	}
	if (want > r->len - r->in_off)
		want = r->len - (size_t)r->in_off;
	memcpy(ptr, r->data + r->in_off, want);
	r->in_off += want;
	return want;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct req *r = ctx;
	size_t n = size * nmemb;

	if (r->out_fd >= 0 && r->status / 100 == 2) {
		size_t done = 0;

		while (done < n) {
			ssize_t w = write(r->out_fd, ptr + done, n - done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return 0;
			done += (size_t)w;
		}
		return n;
	}
	if (r->bmax && r->blen + n > r->bmax) {
		r->too_big = 1;
		return 0;
	}
	if (r->blen + n + 1 > r->bcap) {
		size_t cap = (r->blen + n + 1) * 2;
		char *nb = realloc(r->buf, cap);

		if (!nb)
			return 0;
		r->buf = nb;
		r->bcap = cap;
	}
	memcpy(r->buf + r->blen, ptr, n);
	r->blen += n;
	r->buf[r->blen] = '\0';
	return n;
}

/* The status is known before the body comes: a body of an error answer
 * goes to the buffer (for the log line), never into the caller's file. */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct req *r = ctx;
	size_t n = size * nmemb;
	long code;

	if (n > 9 && !strncmp(ptr, "HTTP/", 5) &&
	    sscanf(ptr, "HTTP/%*s %ld", &code) == 1)
		r->status = code;
	return n;
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The <Code> of an S3 error body, for the log line. */
static void error_code(const struct req *r, char *out, size_t size)
{
	const char *a = r->buf ? strstr(r->buf, "<Code>") : NULL;
	const char *b = a ? strstr(a, "</Code>") : NULL;

	if (a && b && b - a - 6 < (long)size)
		snprintf(out, size, "%.*s", (int)(b - a - 6), a + 6);
	else
		snprintf(out, size, "HTTP %ld", r->status);
}

static int run(struct mint_s3 *s3, const char *url, struct req *r)
{
	int64_t deadline = now_ms() + s3->c.timeout_ms;
	unsigned pause = 50;
	CURLcode cc = CURLE_OK;
	char err[CURL_ERROR_SIZE] = "";
	int tries = 0;

	for (;;) {
		struct curl_slist *h = NULL;
		char tok[64 + 4096];
		int64_t left = deadline - now_ms();
		CURL *c;

		if (left <= 0)
			break;
		c = curl_easy_init();
		if (!c)
			return -ENOMEM;
		tries++;
		r->status = 0;
		r->in_off = 0;
		r->blen = 0;
		r->too_big = 0;
		if (r->out_fd >= 0 && (ftruncate(r->out_fd, 0) ||
				       lseek(r->out_fd, 0, SEEK_SET) < 0)) {
			curl_easy_cleanup(c);
			return -errno;
		}
		h = curl_slist_append(h, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
		if (r->create_only)
			h = curl_slist_append(h, "If-None-Match: *");
		if (s3->c.token) {
			snprintf(tok, sizeof(tok), "x-amz-security-token: %s",
				 s3->c.token);
			h = curl_slist_append(h, tok);
			explicit_bzero(tok, sizeof(tok));
		}
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_SHARE, s3->share);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_AWS_SIGV4, s3->sigv4);
		curl_easy_setopt(c, CURLOPT_USERNAME, s3->c.key_id);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s3->c.secret);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)left);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
				 (long)(left < 10000 ? left : 10000));
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
		if (!strcmp(r->method, "PUT")) {
			curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(c, CURLOPT_READDATA, r);
			curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
					 (curl_off_t)(r->in_fd >= 0 ?
						      r->in_size : r->len));
		} else if (!strcmp(r->method, "HEAD")) {
			curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		} else if (strcmp(r->method, "GET")) {
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
		}
		err[0] = '\0';
		cc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
		curl_easy_cleanup(c);
		curl_slist_free_all(h);
		if (cc == CURLE_OK && r->status / 100 == 2)
			return 0;
		if (r->too_big)
			return -EFBIG;
		if (cc == CURLE_OK && r->status == 404)
			return -ENOENT;
		if (cc == CURLE_OK && r->status == 412 && r->create_only)
			return -EEXIST;
		if (cc == CURLE_OK && r->status == 403) {
			mint_log("s3: %s %s: access denied", r->method, r->what);
			return -EACCES;
		}
		if (cc == CURLE_OK && r->status / 100 == 4 &&
		    r->status != 408 && r->status != 429) {
			char code[64];

			error_code(r, code, sizeof(code));
			mint_log("s3: %s %s: %s", r->method, r->what, code);
			return -EIO;
		}
		/* 5xx, 408, 429 or no answer: try again while time is left */
		left = deadline - now_ms();
		if (left <= 0)
			break;
		{
			struct timespec ts;
			unsigned p = (int64_t)pause < left ? pause : (unsigned)left;

			ts.tv_sec = p / 1000;
			ts.tv_nsec = (long)(p % 1000) * 1000000L;
			nanosleep(&ts, NULL);
		}
		pause = pause * 2 > 2000 ? 2000 : pause * 2;
	}
	if (cc != CURLE_OK)
		mint_log("s3: %s %s: no answer from %s in %u ms (%d tries): %s",
			 r->method, r->what, s3->c.endpoint, s3->c.timeout_ms,
			 tries, err[0] ? err : curl_easy_strerror(cc));
	else
		mint_log("s3: %s %s: HTTP %ld from %s after %d tries",
			 r->method, r->what, r->status, s3->c.endpoint, tries);
	return cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_COULDNT_CONNECT ?
		-ETIMEDOUT : -EIO;
}

static int request(struct mint_s3 *s3, const char *key, const char *query,
		   struct req *r)
{
	char *url = url_of(s3, key, query);
	int rc;

	if (!url)
		return -ENOMEM;
	rc = run(s3, url, r);
	free(url);
	return rc;
}

/* ---- the verbs ---- */

int mint_s3_bucket_ensure(struct mint_s3 *s3)
{
	struct req r = { .method = "HEAD", .what = s3->c.bucket, .in_fd = -1,
			 .out_fd = -1 };
	int rc = request(s3, NULL, NULL, &r);

	if (rc != -ENOENT) {
		free(r.buf);
		if (rc == -EACCES)
			mint_log("s3: bucket %s: access denied", s3->c.bucket);
		return rc;
	}
	memset(&r, 0, sizeof(r));
	r.method = "PUT";
	r.what = s3->c.bucket;
	r.in_fd = r.out_fd = -1;
	r.data = "";
	rc = request(s3, NULL, NULL, &r);
	if (rc == -EIO && r.buf && strstr(r.buf, "BucketAlreadyOwnedByYou"))
		rc = 0;
	if (rc == 0)
		mint_log("s3: made bucket %s", s3->c.bucket);
	else
		mint_log("s3: bucket %s is missing and cannot be made here",
			 s3->c.bucket);
	free(r.buf);
	return rc;
}

int mint_s3_put(struct mint_s3 *s3, const char *key, const void *data,
		size_t len, int create_only)
{
	struct req r = { .method = "PUT", .what = key, .data = data,
			 .len = len, .in_fd = -1, .out_fd = -1,
			 .create_only = create_only };
	int rc = request(s3, key, NULL, &r);

	free(r.buf);
	return rc;
}

int mint_s3_put_fd(struct mint_s3 *s3, const char *key, int fd,
		   uint64_t size, int create_only)
{
	struct req r = { .method = "PUT", .what = key, .in_fd = fd,
			 .in_size = size, .out_fd = -1,
			 .create_only = create_only };
	int rc = request(s3, key, NULL, &r);

	free(r.buf);
	return rc;
}

int mint_s3_get(struct mint_s3 *s3, const char *key, size_t max,
		char **data, size_t *len)
{
	struct req r = { .method = "GET", .what = key, .in_fd = -1,
			 .out_fd = -1, .bmax = max };
	int rc = request(s3, key, NULL, &r);

	if (rc) {
		free(r.buf);
		return rc;
	}
	if (!r.buf)
		r.buf = calloc(1, 1);
	if (!r.buf)
		return -ENOMEM;
	*data = r.buf;
	*len = r.blen;
	return 0;
}

int mint_s3_get_fd(struct mint_s3 *s3, const char *key, int fd)
{
	struct req r = { .method = "GET", .what = key, .in_fd = -1,
			 .out_fd = fd };
	int rc = request(s3, key, NULL, &r);

	free(r.buf);
	return rc;
}

int mint_s3_delete(struct mint_s3 *s3, const char *key)
{
	struct req r = { .method = "DELETE", .what = key, .in_fd = -1,
			 .out_fd = -1 };
	int rc = request(s3, key, NULL, &r);

	free(r.buf);
	return rc == -ENOENT ? 0 : rc;
}

/* The text between <tag> and </tag> after p, into out; the end or NULL. */
static const char *xml_field(const char *p, const char *end, const char *tag,
			     char *out, size_t size)
{
	char open[32], close[32];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	a = strstr(p, open);
	if (!a || (end && a > end))
		return NULL;
	a += strlen(open);
	b = strstr(a, close);
	if (!b || (size_t)(b - a) >= size)
		return NULL;
	memcpy(out, a, (size_t)(b - a));
	out[b - a] = '\0';
	return b + strlen(close);
}

/* XML's five entities, in place: a prefix may hold '&' or '<'. */
static void xml_unescape(char *s)
{
	static const struct { const char *ent; char ch; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};
	char *w = s;
	size_t i;

	while (*s) {
		for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
			if (!strncmp(s, ents[i].ent, strlen(ents[i].ent)))
				break;
		if (i < sizeof(ents) / sizeof(ents[0])) {
			*w++ = ents[i].ch;
			s += strlen(ents[i].ent);
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
}

static time_t iso_time(const char *s)
{
	struct tm tm = { 0 };

	if (!strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return timegm(&tm);
}

int mint_s3_list(struct mint_s3 *s3, const char *dir, const char *start_after,
		 mint_s3_each_fn fn, void *ctx)
{
	char *after = start_after ? strdup(start_after) : NULL;
	int rc = 0, more = 1;

	if (start_after && !after)
		return -ENOMEM;
	while (more && !rc) {
		struct req r = { .method = "GET", .what = dir, .in_fd = -1,
				 .out_fd = -1 };
		char *q = NULL, *full = NULL;
		size_t n = 0, plen = strlen(s3->c.prefix);
		const char *p;
		char trunc[16] = "";

		/* Parameters in the order SigV4 signs them: sorted. */
		if (asprintf(&full, "%s%s", s3->c.prefix, dir) < 0) {
			rc = -ENOMEM;
			break;
		}
		rc |= put_raw(&q, &n, "list-type=2&max-keys=1000&prefix=");
		rc |= put_escaped(&q, &n, full, 0);
		if (after) {
			char *fa = NULL;

			if (asprintf(&fa, "%s%s", s3->c.prefix, after) < 0) {
				rc = -ENOMEM;
			} else {
				rc |= put_raw(&q, &n, "&start-after=");
				rc |= put_escaped(&q, &n, fa, 0);
			}
			free(fa);
		}
		free(full);
		if (!rc)
			rc = request(s3, NULL, q, &r);
		free(q);
		if (rc) {
			free(r.buf);
			break;
		}
		more = 0;
		p = r.buf ? r.buf : "";
		if (xml_field(p, NULL, "IsTruncated", trunc, sizeof(trunc)))
			more = !strcmp(trunc, "true");
		while (!rc && (p = strstr(p, "<Contents>"))) {
			const char *end = strstr(p, "</Contents>");
			char key[1100], sz[32] = "0", lm[64] = "";

			if (!end || !xml_field(p, end, "Key", key, sizeof(key)))
				break;
			xml_unescape(key);
			xml_field(p, end, "Size", sz, sizeof(sz));
			xml_field(p, end, "LastModified", lm, sizeof(lm));
			p = end;
			if (strncmp(key, s3->c.prefix, plen))
				continue;
			free(after);
			after = strdup(key + plen);
			if (!after) {
				rc = -ENOMEM;
				break;
			}
			rc = fn(key + plen, strtoull(sz, NULL, 10),
				iso_time(lm), ctx);
		}
		free(r.buf);
		if (!after)
			more = 0;
	}
	free(after);
	return rc;
}
