/*
 * s3conf.c - the settings of the S3 client (s3.h), read the way AWS tools
 * read them: the environment, then the shared credentials file. Secrets
 * are wiped when freed and never printed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "s3.h"

static char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? strdup(v) : NULL;
}

int mint_s3_is_url(const char *store)
{
	return store && !strncmp(store, "s3://", 5);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Read aws_access_key_id, aws_secret_access_key, aws_session_token of
 * one profile of the shared credentials file into c (those unset). */
static void creds_file(struct mint_s3_conf *c)
{
	char *path = env("AWS_SHARED_CREDENTIALS_FILE");
	char *profile = env("AWS_PROFILE");
	char line[1024];
	int in = 0;
	FILE *f;

	if (!path) {
		const char *home = getenv("HOME");

		if (!home || asprintf(&path, "%s/.aws/credentials", home) < 0)
			path = NULL;
	}
	f = path ? fopen(path, "re") : NULL;
	while (f && fgets(line, sizeof(line), f)) {
		char *s = trim(line), *eq;

		if (*s == '[') {
			char *end = strchr(s, ']');

			if (end)
				*end = '\0';
			in = !strcmp(trim(s + 1), profile ? profile : "default");
			continue;
		}
		eq = strchr(s, '=');
		if (!in || !eq || *s == '#' || *s == ';')
			continue;
		*eq = '\0';
		s = trim(s);
		eq = trim(eq + 1);
		if (!strcmp(s, "aws_access_key_id") && !c->key_id)
			c->key_id = strdup(eq);
		else if (!strcmp(s, "aws_secret_access_key") && !c->secret)
			c->secret = strdup(eq);
		else if (!strcmp(s, "aws_session_token") && !c->token)
			c->token = strdup(eq);
	}
	explicit_bzero(line, sizeof(line));
	if (f)
		fclose(f);
	free(path);
	free(profile);
}

int mint_s3_conf_load(const char *url, const char *endpoint, int path_style,
		      unsigned timeout_ms, struct mint_s3_conf *c)
{
	const char *b = url + 5, *slash;
	size_t plen;

	memset(c, 0, sizeof(*c));
	if (!mint_s3_is_url(url) || !*b || *b == '/') {
		mint_log("not a bucket: %s (s3://BUCKET[/PREFIX])",
			url);
		return -EINVAL;
	}
	slash = strchr(b, '/');
	c->bucket = slash ? strndup(b, (size_t)(slash - b)) : strdup(b);
	plen = slash ? strlen(slash + 1) : 0;
	while (plen && slash[plen] == '/')
		plen--;			/* "s3://b/p/" is "s3://b/p" */
	if (plen) {
		c->prefix = malloc(plen + 2);
		if (c->prefix) {
			memcpy(c->prefix, slash + 1, plen);
			strcpy(c->prefix + plen, "/");
		}
	} else {
		c->prefix = strdup("");
	}
	c->region = env("AWS_REGION");
	if (!c->region)
		c->region = env("AWS_DEFAULT_REGION");
	if (!c->region)
		c->region = strdup("us-east-1");
	c->endpoint = endpoint && *endpoint ? strdup(endpoint) : NULL;
	if (!c->endpoint)
		c->endpoint = env("AWS_ENDPOINT_URL_S3");
	if (!c->endpoint)
		c->endpoint = env("AWS_ENDPOINT_URL");
	if (!c->endpoint && c->region &&
	    asprintf(&c->endpoint, "https://s3.%s.amazonaws.com", c->region) < 0)
		c->endpoint = NULL;
	c->key_id = env("AWS_ACCESS_KEY_ID");
	c->secret = env("AWS_SECRET_ACCESS_KEY");
	c->token = env("AWS_SESSION_TOKEN");
	if (!c->key_id || !c->secret) {
		free(c->key_id);
		free(c->secret);
		free(c->token);
		c->key_id = c->secret = c->token = NULL;
		creds_file(c);
	}
	c->path_style = path_style;
	c->timeout_ms = timeout_ms ? timeout_ms : 30000;
	if (!c->bucket || !c->prefix || !c->region || !c->endpoint) {
		mint_s3_conf_free(c);
		mint_log("out of memory");
		return -EINVAL;
	}
	if (!c->key_id || !c->secret) {
		mint_log("%s: no credentials: set "
			"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a "
			"profile in ~/.aws/credentials", url);
		mint_s3_conf_free(c);
		return -EINVAL;
	}
	plen = strlen(c->endpoint);
	while (plen && c->endpoint[plen - 1] == '/')
		c->endpoint[--plen] = '\0';
	if (strncmp(c->endpoint, "http://", 7) &&
	    strncmp(c->endpoint, "https://", 8)) {
		mint_log("not an http(s) endpoint: %s",
			c->endpoint);
		mint_s3_conf_free(c);
		return -EINVAL;
	}
	return 0;
}

static void free_secret(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

void mint_s3_conf_free(struct mint_s3_conf *c)
{
	free(c->endpoint);
	free(c->bucket);
	free(c->prefix);
	free(c->region);
	free(c->key_id);
	free_secret(c->secret);
	free_secret(c->token);
	memset(c, 0, sizeof(*c));
}
