/*
 * source.c - an original's pixels, decoded once and shared (source.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "generator.h"
#include "log.h"
#include "source.h"

void mint_source_init(struct mint_source *src, struct mint_ctx *ctx,
		      const char *name, const char *hash)
{
	size_t n;

	src->ctx = ctx;
	src->name = name;
	src->hash = hash;
	n = (size_t)snprintf(src->key, sizeof(src->key), "%s", hash);
	if (n < sizeof(src->key))
		mint_generator_name_key(name, src->key + n,
					sizeof(src->key) - n);
}

static void pixels_destroy(struct mint_obj *obj)
{
	struct mint_pixels *p = mint_container_of(obj, struct mint_pixels,
						  obj);

	mint_image_release(&p->img);
	free(p);
}

static int pixels_compute(void *arg, struct mint_obj **out)
{
	struct mint_source *src = arg;
	const struct mint_generator *gen;
	struct mint_pixels *p = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	int rc;

	rc = mint_store_blob_load(src->ctx->store, src->hash, 0, &data, &len);
	if (rc)
		goto out;
	gen = mint_generator_find(src->name, data, len);
	if (!gen) {
		mint_log("%s: stored bytes are no longer a known format",
			 src->name);
		rc = -EIO;
		goto out;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		rc = -ENOMEM;
		goto out;
	}
	/* a stored original that no longer decodes (a newer library refuses
	 * it, or a lower limit): logged once, as at commit */
	rc = mint_generator_render(gen, src->name, data, len,
				   &src->ctx->limits, &p->img);
	if (rc) {
		free(p);
		p = NULL;
		goto out;
	}
	mint_obj_init(&p->obj, sizeof(*p) + mint_image_bytes(&p->img),
		      pixels_destroy);
	*out = &p->obj;
out:
	free(data);
	return rc;
}

int mint_source_pixels(struct mint_source *src, struct mint_pixels **out)
{
	struct mint_obj *obj;
	char key[MINT_SOURCE_KEY_MAX + 16];
	int rc;

	snprintf(key, sizeof(key), "%s:pixels", src->key);
	rc = mint_cache_get(src->ctx->cache, key, pixels_compute, src, &obj);
	*out = rc ? NULL : mint_container_of(obj, struct mint_pixels, obj);
	return rc;
}

struct seed {
	struct mint_image *img;
};

static int seed_compute(void *arg, struct mint_obj **out)
{
	struct seed *s = arg;
	struct mint_pixels *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->img = *s->img;
	memset(s->img, 0, sizeof(*s->img));
	mint_obj_init(&p->obj, sizeof(*p) + mint_image_bytes(&p->img),
		      pixels_destroy);
	*out = &p->obj;
	return 0;
}

void mint_source_seed_pixels(struct mint_source *src, struct mint_image *img)
{
	struct seed s = { img };
	struct mint_obj *obj;
	char key[MINT_SOURCE_KEY_MAX + 16];

	snprintf(key, sizeof(key), "%s:pixels", src->key);
	if (!mint_cache_get(src->ctx->cache, key, seed_compute, &s, &obj))
		mint_obj_unref(obj);
	mint_image_release(img);	/* still ours if the key was cached */
}
