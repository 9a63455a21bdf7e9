/*
 * test_counter.c - the counter variant's drawing: same dimensions, the
 * number changes the corner and nothing else, the ten copies differ, tiny
 * images still get a digit, and the encoded files decode.
 */
#include <string.h>

#include "check.h"
#include "encode.h"
#include "generator.h"
#include "variant.h"
#include "../../variants/counter.h"

static void fill(struct mint_image *img)
{
	uint32_t x, y;
	unsigned c;

	for (y = 0; y < img->height; y++)
		for (x = 0; x < img->width; x++)
			for (c = 0; c < img->channels; c++)
				img->pixels[y * img->stride +
					    x * img->channels + c] =
					(uint8_t)(x * 3 + y * 5 + c * 70);
}

/* Top-left of the pixels that differ between a and b. */
static int diff_box(const struct mint_image *a, const struct mint_image *b,
		    uint32_t *minx, uint32_t *miny)
{
	uint32_t x, y;
	int any = 0;

	*minx = a->width;
	*miny = a->height;
	for (y = 0; y < a->height; y++) {
		for (x = 0; x < a->width; x++) {
			size_t o = y * a->stride + x * a->channels;

			if (!memcmp(a->pixels + o, b->pixels + o,
				    a->channels))
				continue;
			any = 1;
			if (x < *minx)
				*minx = x;
			if (y < *miny)
				*miny = y;
		}
	}
	return any;
}

static void check_size(uint32_t w, uint32_t h, unsigned ch)
{
	struct mint_image src, out[10];
	uint32_t mx, my;
	unsigned i, j;

	REQUIRE(!mint_image_init(&src, w, h, ch));
	fill(&src);
	for (i = 0; i < 10; i++) {
		REQUIRE(!mint_counter_draw(&src, i, &out[i]));
		EXPECT_EQ(out[i].width, w);
		EXPECT_EQ(out[i].height, h);
		EXPECT_EQ(out[i].channels, ch);
		EXPECT(diff_box(&src, &out[i], &mx, &my));
		/* only the bottom-right corner changes: at most 15% of the
		 * longer side, and at least the 12-pixel minimum */
		EXPECT(mx < w && my < h);
		EXPECT(h - my <= (h < 12 ? h : (uint32_t)(0.15 *
			(w > h ? w : h) + 12)));
		if (ch == 4)
			EXPECT_EQ(out[i].pixels[(size_t)(h - 1) *
						out[i].stride +
						(size_t)w * ch - 1], 255);
	}
	for (i = 0; i < 10; i++)
		for (j = i + 1; j < 10; j++)
			if (w * h >= 64)	/* tiny boxes may alias */
				EXPECT(memcmp(out[i].pixels, out[j].pixels,
					      mint_image_bytes(&src)));
	for (i = 0; i < 10; i++)
		mint_image_release(&out[i]);
	mint_image_release(&src);
}

static void test_sizes(void)
{
	check_size(640, 480, 3);
	check_size(200, 900, 4);
	check_size(33, 17, 3);
	check_size(16, 16, 3);
}

static void test_tiny(void)
{
	check_size(1, 1, 3);
	check_size(5, 3, 4);
}

static void test_thumbnail_legible(void)
{
	struct mint_image src, out;
	uint32_t mx, my;

	REQUIRE(!mint_image_init(&src, 5640, 3172, 3));
	REQUIRE(!mint_counter_draw(&src, 7, &out));
	REQUIRE(diff_box(&src, &out, &mx, &my));
	/* in a 200-pixel thumbnail the box is about 30 pixels high */
	EXPECT((3172 - my) * 200 / 5640 >= 25);
	mint_image_release(&out);
	mint_image_release(&src);
}

static void test_encoded_copies_decode(void)
{
	static const struct mint_limits lim = {
		.max_pixels = MINT_DEFAULT_MAX_PIXELS,
	};
	const struct mint_generator *gen;
	struct mint_image src, out, dec;
	struct mint_buf buf;
	unsigned f;

	REQUIRE(!mint_image_init(&src, 120, 80, 4));
	fill(&src);
	REQUIRE(!mint_counter_draw(&src, 3, &out));
	for (f = 0; f < MINT_FMT_COUNT; f++) {
		mint_buf_init(&buf, 0);
		REQUIRE(!mint_encode(f, &out, &buf));
		gen = mint_generator_find("x", buf.data, buf.len);
		REQUIRE(gen);
		EXPECT_EQ(mint_generator_render(gen, "x", buf.data, buf.len, &lim, &dec), 0);
		EXPECT_EQ(dec.width, 120);
		EXPECT_EQ(dec.height, 80);
		mint_image_release(&dec);
		mint_buf_release(&buf);
	}
	mint_image_release(&out);
	mint_image_release(&src);
	mint_generators_cleanup();
	mint_variants_cleanup();
}

CHECK_MAIN(CHECK_CASE(test_sizes),
	   CHECK_CASE(test_tiny),
	   CHECK_CASE(test_thumbnail_legible),
	   CHECK_CASE(test_encoded_copies_decode))
