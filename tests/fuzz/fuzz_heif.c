/*
 * fuzz_heif.c - libFuzzer target: what we parse of HEIF files ourselves
 * (mint_heif_parse_one, the reader of libheif's one-tile files, and the
 * grid head written back from what it found) and the HEIC/AVIF
 * generator's render on the bytes its accepts() claims, as commit would
 * call it (src/heif_box.c, generators/heif.c).
 */
#include "fuzz.h"
#include "heif_box.h"

static const struct mint_limits lim = {
	.max_pixels = FUZZ_MAX_PIXELS,
	.max_text = FUZZ_MAX_TEXT,
};

/* A one-tile grid around what the parser found: the writer's checks
 * and lengths must hold for any boxes it is handed. */
static void rewrite(const struct mint_heif_one *one)
{
	struct mint_heif_grid g = {
		.avif = one->avif,
		.width = one->width,
		.height = one->height,
		.tile_w = one->width,
		.tile_h = one->height,
		.cols = 1,
		.rows = 1,
		.config = one->config,
		.colr = one->colr,
		.pixi = one->pixi,
	};
	struct mint_buf out = MINT_BUF_INIT;
	uint32_t len = (uint32_t)one->data.len;
	struct mint_heif_one back;

	if (!mint_heif_grid_head(&g, &len, &out)) {
		if (out.len != mint_heif_head_len(&g))
			abort();
		if (!mint_buf_append(&out, one->data.p, one->data.len) &&
		    !mint_heif_parse_one(out.data, out.len, &back))
			abort();	/* a grid is never one image */
	}
	mint_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct mint_heif_one one;

	if (!mint_heif_parse_one(data, len, &one)) {
		if (one.data.p < data || one.data.p + one.data.len >
		    data + len || one.config.p < data ||
		    one.config.p + one.config.len > data + len)
			abort();
		rewrite(&one);
	}
	if (!mint_generator_heif.accepts("fuzz.heic", data, len))
		return 0;
	fuzz_render(&mint_generator_heif, "fuzz.heic", data, len, &lim);
	return 0;
}
