/*
 * registry.c - the plugin tables: which generators read originals, which
 * variants make Images folders. Adding a plugin is one file and one line
 * here. The tables are const: built at compile time, shared by all threads.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "generator.h"
#include "log.h"
#include "variant.h"

const struct mint_generator *const mint_generators[] = {
	&mint_generator_png,
	&mint_generator_jpeg,
	&mint_generator_webp,
	&mint_generator_heif,
	&mint_generator_gif,
	&mint_generator_bmp,
	&mint_generator_tiff,
	&mint_generator_text,	/* last: takes any UTF-8 no image claimed */
	NULL,
};

const struct mint_variant *const mint_variants[] = {
	&mint_variant_original,
	&mint_variant_always_random,
	&mint_variant_counter,
	&mint_variant_exif,
	&mint_variant_broken,
	&mint_variant_animated,
	&mint_variant_distinct,
	NULL,
};

const struct mint_generator *mint_generator_find(const char *name,
						  const uint8_t *data,
						  size_t len)
{
	const struct mint_generator *const *g;

	for (g = mint_generators; *g; g++)
		if ((*g)->accepts(name, data, len))
			return *g;
	return NULL;
}

int mint_generator_render(const struct mint_generator *gen, const char *name,
			  const uint8_t *data, size_t len,
			  const struct mint_limits *lim, struct mint_image *img)
{
	char why[MINT_WHY_MAX] = "";
	int rc = gen->render(name, data, len, lim, img, why);

	if (rc)
		mint_log("%s: %s", name ? name : "?",
			 why[0] ? why : strerror(-rc));
	return rc;
}

void mint_decode_why(char *why, const char *fmt, int rc, const char *msg)
{
	snprintf(why, MINT_WHY_MAX, "cannot decode %s: %s", fmt,
		 rc == -EFBIG ? "over the pixel limit" :
		 rc == -ENOMEM ? "out of memory" :
		 msg && msg[0] ? msg : "malformed");
}

void mint_generator_name_key(const char *name, char *buf, size_t len)
{
	const struct mint_generator *const *g;
	size_t used = 0;

	buf[0] = '\0';
	for (g = mint_generators; *g; g++) {
		if (!(*g)->name_key || used + 1 >= len)
			continue;
		buf[used] = '@';
		(*g)->name_key(name, buf + used + 1, len - used - 1);
		if (buf[used + 1])
			used += 1 + strlen(buf + used + 1);
		buf[used] = '\0';
	}
}

void mint_generators_cleanup(void)
{
	const struct mint_generator *const *g;

	for (g = mint_generators; *g; g++)
		if ((*g)->cleanup)
			(*g)->cleanup();
}

const struct mint_variant *mint_variant_find(const char *name)
{
	const struct mint_variant *const *v;

	for (v = mint_variants; *v; v++)
		if (!strcmp((*v)->name, name))
			return *v;
	return NULL;
}

void mint_variants_cleanup(void)
{
	const struct mint_variant *const *v;

	for (v = mint_variants; *v; v++)
		if ((*v)->cleanup)
			(*v)->cleanup();
}
