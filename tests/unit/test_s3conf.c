/*
 * test_s3conf.c - the S3 client's settings (src/s3conf.c): the bucket
 * and prefix of a store URL, and credentials, region and endpoint from
 * the places AWS tools read them, in their order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "s3.h"

static char dir[] = "/tmp/mint-s3conf-XXXXXX";
static char creds[64];

static void clean_env(void)
{
	static const char *vars[] = {
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_PROFILE",
	};
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
	setenv("HOME", dir, 1);
}

static void write_creds(const char *text)
{
	FILE *f = fopen(creds, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void url_parts(void)
{
	struct mint_s3_conf c;

	clean_env();
	setenv("AWS_ACCESS_KEY_ID", "AK", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SK", 1);
	REQUIRE(mint_s3_conf_load("s3://team/qa/lib/", "http://h:9000/", 1,
				  0, &c) == 0);
	EXPECT(!strcmp(c.bucket, "team"));
	EXPECT(!strcmp(c.prefix, "qa/lib/"));
	EXPECT(!strcmp(c.endpoint, "http://h:9000"));
	EXPECT(!strcmp(c.region, "us-east-1"));
	EXPECT_EQ(c.timeout_ms, 30000);
	EXPECT_EQ(c.path_style, 1);
	EXPECT(c.token == NULL);
	mint_s3_conf_free(&c);
	REQUIRE(mint_s3_conf_load("s3://team", NULL, 0, 5000, &c) == 0);
	EXPECT(!strcmp(c.prefix, ""));
	EXPECT(!strcmp(c.endpoint, "https://s3.us-east-1.amazonaws.com"));
	mint_s3_conf_free(&c);
	EXPECT_EQ(mint_s3_conf_load("s3://", NULL, 0, 0, &c), -EINVAL);
	EXPECT_EQ(mint_s3_conf_load("s3:///x", NULL, 0, 0, &c), -EINVAL);
	EXPECT_EQ(mint_s3_conf_load("s3://b", "ftp://h", 0, 0, &c), -EINVAL);
	EXPECT(mint_s3_is_url("s3://b"));
	EXPECT(!mint_s3_is_url("/home/me/store"));
}

static void env_order(void)
{
	struct mint_s3_conf c;

	clean_env();
	setenv("AWS_ACCESS_KEY_ID", "AK", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SK", 1);
	setenv("AWS_SESSION_TOKEN", "TOK", 1);
	setenv("AWS_DEFAULT_REGION", "eu-west-1", 1);
	setenv("AWS_ENDPOINT_URL", "http://general", 1);
	REQUIRE(mint_s3_conf_load("s3://b", NULL, 0, 0, &c) == 0);
	EXPECT(!strcmp(c.region, "eu-west-1"));
	EXPECT(!strcmp(c.endpoint, "http://general"));
	EXPECT(!strcmp(c.token, "TOK"));
	mint_s3_conf_free(&c);
	setenv("AWS_REGION", "eu-central-1", 1);
	setenv("AWS_ENDPOINT_URL_S3", "http://s3only", 1);
	REQUIRE(mint_s3_conf_load("s3://b", NULL, 0, 0, &c) == 0);
	EXPECT(!strcmp(c.region, "eu-central-1"));
	EXPECT(!strcmp(c.endpoint, "http://s3only"));
	mint_s3_conf_free(&c);
	REQUIRE(mint_s3_conf_load("s3://b", "http://given", 0, 0, &c) == 0);
	EXPECT(!strcmp(c.endpoint, "http://given"));
	mint_s3_conf_free(&c);
}

static void credentials_file(void)
{
	struct mint_s3_conf c;

	clean_env();
	write_creds("# team keys\n[default]\naws_access_key_id = DEF\n"
		    "aws_secret_access_key=DEFSECRET\n\n[ci]\n"
		    "aws_access_key_id=CI\naws_secret_access_key = CISECRET\n"
		    "aws_session_token = CITOKEN\n");
	REQUIRE(mint_s3_conf_load("s3://b", NULL, 0, 0, &c) == 0);
	EXPECT(!strcmp(c.key_id, "DEF"));
	EXPECT(!strcmp(c.secret, "DEFSECRET"));
	EXPECT(c.token == NULL);
	mint_s3_conf_free(&c);
	setenv("AWS_PROFILE", "ci", 1);
	REQUIRE(mint_s3_conf_load("s3://b", NULL, 0, 0, &c) == 0);
	EXPECT(!strcmp(c.key_id, "CI"));
	EXPECT(!strcmp(c.secret, "CISECRET"));
	EXPECT(!strcmp(c.token, "CITOKEN"));
	mint_s3_conf_free(&c);
	/* the environment comes first, whole */
	setenv("AWS_ACCESS_KEY_ID", "ENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
	REQUIRE(mint_s3_conf_load("s3://b", NULL, 0, 0, &c) == 0);
	EXPECT(!strcmp(c.key_id, "ENV"));
	EXPECT(c.token == NULL);
	mint_s3_conf_free(&c);
}

static void no_credentials(void)
{
	struct mint_s3_conf c;

	clean_env();
	write_creds("[other]\naws_access_key_id=X\naws_secret_access_key=Y\n");
	EXPECT_EQ(mint_s3_conf_load("s3://b", NULL, 0, 0, &c), -EINVAL);
	unlink(creds);
	EXPECT_EQ(mint_s3_conf_load("s3://b", NULL, 0, 0, &c), -EINVAL);
}

int main(void)
{
	static const struct check_case cases[] = {
		CHECK_CASE(url_parts), CHECK_CASE(env_order),
		CHECK_CASE(credentials_file), CHECK_CASE(no_credentials),
	};
	int rc;

	if (!mkdtemp(dir))
		return 1;
	snprintf(creds, sizeof(creds), "%s/credentials", dir);
	rc = check_run(cases, sizeof(cases) / sizeof(cases[0]));
	unlink(creds);
	rmdir(dir);
	return rc;
}
