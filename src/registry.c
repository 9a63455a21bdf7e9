/*
 * registry.c - the plugin tables: which generators read originals, which
 * variants make Images folders. Adding a plugin is one file and one line
 * here. The tables are const: built at compile time, shared by all threads.
 */
#include <string.h>

#include "generator.h"
#include "variant.h"

const struct mint_generator *const mint_generators[] = {
	&mint_generator_png,
	&mint_generator_jpeg,
	&mint_generator_webp,
	&mint_generator_text,	/* last: takes any UTF-8 no image claimed */
	NULL,
};

const struct mint_variant *const mint_variants[] = {
	&mint_variant_original,
	&mint_variant_always_random,
	&mint_variant_counter,
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

void mint_generator_name_key(const char *name, char *buf, size_t len)
{
	const struct mint_generator *const *g;
	size_t used = 0;

	buf[0] = '\0';
	for (g = mint_generators; *g; g++) {
		if (!(*g)->name_key || used + 1 >= len)
			continue;
		buf[used++] = '@';
		buf[used] = '\0';
		(*g)->name_key(name, buf + used, len - used);
		used += strlen(buf + used);
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
