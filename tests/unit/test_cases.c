/*
 * test_cases.c - the test-case variants (exif/, broken/, animated/) and
 * the one list of a variant folder's files: names unique and short enough,
 * the folders that list copies x formats named as always; EXIF orientations
 * stored as the tag says and read back by libexif; animations of ten
 * frames, one second each, looping; the scaling that bounds their cost.
 */
#include <stdio.h>
#include <string.h>

#include <libexif/exif-data.h>
#include <webp/mux.h>

#include "check.h"
#include "names.h"
#include "testgif.h"
#include "testimg.h"
#include "variant.h"
#include "../../variants/animated.h"
#include "../../variants/exif.h"
#include "../../variants/scaled.h"

static void test_file_lists(void)
{
	const struct mint_variant *const *v;
	struct mint_vfile f, g;
	unsigned i, j, n;

	for (v = mint_variants; *v; v++) {
		n = mint_variant_nfiles(*v);
		EXPECT(n >= 1 && n <= MINT_VARIANT_FILES_MAX);
		for (i = 0; i < n; i++) {
			mint_variant_file(*v, i, &f);
			/* the whole tail fits: never cut by the buffer */
			EXPECT(strlen(f.tail) < MINT_VARIANT_SUFFIX_MAX);
			EXPECT(strchr(f.tail, '.') != NULL);
			EXPECT(f.fmt < MINT_FMT_COUNT);
			EXPECT(f.index < MINT_VARIANT_FILES_MAX);
			for (j = 0; j < i; j++) {
				mint_variant_file(*v, j, &g);
				EXPECT(strcmp(f.tail, g.tail));
				/* the inode's (index, format) */
				EXPECT(f.index != g.index || f.fmt != g.fmt);
			}
		}
	}
	/* names stem + tail stay within a file name */
	EXPECT(MINT_FILE_STEM_MAX + MINT_VARIANT_SUFFIX_MAX <= MINT_NAME_MAX);
}

/* The folders of copies x formats keep their names and their order. */
static void test_copies_names_unchanged(void)
{
	static const char *const counter[] = { "_0.png", "_9.png",
					       "_0.jpeg", "_9.webp" };
	static const unsigned at[] = { 0, 9, 10, 29 };
	struct mint_vfile f;
	unsigned i;

	EXPECT_EQ(mint_variant_nfiles(&mint_variant_original),
		  MINT_FMT_COUNT);
	mint_variant_file(&mint_variant_original, 1, &f);
	EXPECT(!strcmp(f.tail, ".jpeg"));
	EXPECT_EQ(f.fmt, MINT_FMT_JPEG);
	EXPECT_EQ(f.index, 0);
	EXPECT_EQ(mint_variant_nfiles(&mint_variant_counter),
		  10 * MINT_FMT_COUNT);
	for (i = 0; i < 4; i++) {
		mint_variant_file(&mint_variant_counter, at[i], &f);
		EXPECT(!strcmp(f.tail, counter[i]));
		EXPECT_EQ(f.index, at[i] % 10);
		EXPECT_EQ(f.fmt, at[i] / 10);
	}
	EXPECT_EQ(mint_variant_nfiles(&mint_variant_exif), 27);
	mint_variant_file(&mint_variant_exif, 5, &f);
	EXPECT(!strcmp(f.tail, "_orientation_6.jpeg"));
	mint_variant_file(&mint_variant_broken, 5, &f);
	EXPECT(!strcmp(f.tail, "_png_bytes.jpeg"));
	EXPECT_EQ(f.fmt, MINT_FMT_PNG);
	mint_variant_file(&mint_variant_animated, 0, &f);
	EXPECT(!strcmp(f.tail, ".gif"));
	/* only broken/ is made not to decode */
	EXPECT(mint_variant_broken.invalid);
	EXPECT(!mint_variant_exif.invalid && !mint_variant_animated.invalid);
	EXPECT(!mint_variant_counter.invalid);
}

/* A picture whose every pixel says where it is. */
static int where_img(struct mint_image *img, uint32_t w, uint32_t h)
{
	uint32_t x, y;
	int rc = mint_image_init(img, w, h, 3);

	for (y = 0; !rc && y < h; y++)
		for (x = 0; x < w; x++) {
			uint8_t *p = img->pixels + y * img->stride + x * 3;

			p[0] = (uint8_t)x;
			p[1] = (uint8_t)y;
			p[2] = 7;
		}
	return rc;
}

static int at(const struct mint_image *img, uint32_t x, uint32_t y,
	      uint32_t ux, uint32_t uy)
{
	const uint8_t *p = img->pixels + y * img->stride + x * 3;

	return p[0] == ux && p[1] == uy;
}

/*
 * EXIF 2.3's table: for each orientation, which upright corner starts
 * row 0 of the stored pixels, which ends it, and which ends column 0.
 */
static void test_orientations(void)
{
	enum { TL, TR, BL, BR };
	static const int corners[9][3] = {
		{ 0, 0, 0 },
		{ TL, TR, BL }, { TR, TL, BR }, { BR, BL, TR }, { BL, BR, TL },
		{ TL, BL, TR }, { TR, BR, TL }, { BR, TR, BL }, { BL, TL, BR },
	};
	struct mint_image u, s;
	uint32_t w = 30, h = 20, cx[4], cy[4];
	unsigned o;

	cx[TL] = 0; cy[TL] = 0;
	cx[TR] = w - 1; cy[TR] = 0;
	cx[BL] = 0; cy[BL] = h - 1;
	cx[BR] = w - 1; cy[BR] = h - 1;
	REQUIRE(!where_img(&u, w, h));
	for (o = 1; o <= 8; o++) {
		const int *c = corners[o];

		REQUIRE(!mint_exif_store(&u, o, &s));
		EXPECT_EQ(s.width, o >= 5 ? h : w);
		EXPECT_EQ(s.height, o >= 5 ? w : h);
		EXPECT(at(&s, 0, 0, cx[c[0]], cy[c[0]]));
		EXPECT(at(&s, s.width - 1, 0, cx[c[1]], cy[c[1]]));
		EXPECT(at(&s, 0, s.height - 1, cx[c[2]], cy[c[2]]));
		mint_image_release(&s);
	}
	EXPECT(mint_exif_store(&u, 9, &s) < 0);
	mint_image_release(&u);
}

static ExifShort orientation_of(ExifData *ed)
{
	ExifEntry *e = exif_content_get_entry(ed->ifd[EXIF_IFD_0],
					      EXIF_TAG_ORIENTATION);

	return e ? exif_get_short(e->data, exif_data_get_byte_order(ed)) : 0;
}

/* Each format's file carries the block where its readers look. */
static void test_exif_files(void)
{
	struct mint_image u;
	struct mint_buf b;
	ExifData *ed;
	unsigned f;

	REQUIRE(!testimg_make(&u, 90, 60, 4, 1));
	/* exif/ has PNG, JPEG and WebP files (exif.c) */
	for (f = 0; f <= MINT_FMT_WEBP; f++) {
		mint_buf_init(&b, 0);
		REQUIRE(!mint_exif_file(&u, f, 6, &b));
		if (f == MINT_FMT_JPEG) {
			/* libexif finds APP1 itself */
			ed = exif_data_new_from_data(b.data, b.len);
			REQUIRE(ed);
			EXPECT_EQ(orientation_of(ed), 6);
			exif_data_unref(ed);
		}
		if (f == MINT_FMT_PNG)
			EXPECT(memmem(b.data, b.len, "eXIf", 4) != NULL);
		if (f == MINT_FMT_WEBP) {
			WebPData d = { b.data, b.len }, ex;
			WebPMux *mux = WebPMuxCreate(&d, 0);

			REQUIRE(mux);
			EXPECT(WebPMuxGetChunk(mux, "EXIF", &ex) ==
			       WEBP_MUX_OK);
			WebPMuxDelete(mux);
		}
		mint_buf_release(&b);
	}
	mint_buf_init(&b, 0);
	REQUIRE(!mint_exif_file(&u, MINT_FMT_JPEG, MINT_EXIF_GPS, &b));
	ed = exif_data_new_from_data(b.data, b.len);
	REQUIRE(ed);
	EXPECT_EQ(orientation_of(ed), 1);
	EXPECT(exif_content_get_entry(ed->ifd[EXIF_IFD_GPS],
			(ExifTag)EXIF_TAG_GPS_LATITUDE) != NULL);
	EXPECT(exif_content_get_entry(ed->ifd[EXIF_IFD_0],
				      EXIF_TAG_MAKE) != NULL);
	EXPECT(ed->size > 100);		/* the thumbnail */
	exif_data_unref(ed);
	mint_buf_release(&b);
	mint_image_release(&u);
}

static void check_gif(const struct mint_buf *b, uint32_t w, uint32_t h)
{
	struct testgif_in m;
	GraphicsControlBlock gcb;
	GifFileType *gif;
	int err, i;

	gif = testgif_open(&m, b->data, b->len, &err);
	REQUIRE(gif);
	EXPECT_EQ(DGifSlurp(gif), GIF_OK);
	EXPECT_EQ(gif->SWidth, w);
	EXPECT_EQ(gif->SHeight, h);
	EXPECT_EQ(gif->ImageCount, MINT_ANIMATED_FRAMES);
	for (i = 0; i < gif->ImageCount; i++) {
		EXPECT_EQ(DGifSavedExtensionToGCB(gif, i, &gcb), GIF_OK);
		EXPECT_EQ(gcb.DelayTime, 100);
	}
	EXPECT(memmem(b->data, b->len, "NETSCAPE2.0", 11) != NULL);
	DGifCloseFile(gif, &err);
}

static void check_webp(const struct mint_buf *b, uint32_t w, uint32_t h)
{
	WebPData d = { b->data, b->len };
	WebPMuxAnimParams ap;
	WebPMux *mux = WebPMuxCreate(&d, 0);
	int n = 0, mw = 0, mh = 0;

	REQUIRE(mux);
	EXPECT(WebPMuxNumChunks(mux, WEBP_CHUNK_ANMF, &n) == WEBP_MUX_OK);
	EXPECT_EQ(n, MINT_ANIMATED_FRAMES);
	EXPECT(WebPMuxGetAnimationParams(mux, &ap) == WEBP_MUX_OK);
	EXPECT_EQ(ap.loop_count, 0);
	EXPECT(WebPMuxGetCanvasSize(mux, &mw, &mh) == WEBP_MUX_OK);
	EXPECT_EQ(mw, w);
	EXPECT_EQ(mh, h);
	WebPMuxDelete(mux);
}

/* Ten frames, one second each, looping; the same bytes every time. */
static void test_animations(void)
{
	static const uint32_t sides[][3] = { { 120, 80, 3 }, { 7, 5, 4 } };
	struct mint_buf a, b;
	struct mint_image img;
	unsigned i;

	for (i = 0; i < 2; i++) {
		REQUIRE(!testimg_make(&img, sides[i][0], sides[i][1],
				      sides[i][2], 1));
		mint_buf_init(&a, 0);
		mint_buf_init(&b, 0);
		REQUIRE(!mint_animated_gif(&img, &a));
		REQUIRE(!mint_animated_gif(&img, &b));
		EXPECT(a.len == b.len && !memcmp(a.data, b.data, a.len));
		check_gif(&a, img.width, img.height);
		mint_buf_release(&a);
		mint_buf_release(&b);
		REQUIRE(!mint_animated_webp(&img, &a));
		REQUIRE(!mint_animated_webp(&img, &b));
		EXPECT(a.len == b.len && !memcmp(a.data, b.data, a.len));
		check_webp(&a, img.width, img.height);
		mint_buf_release(&a);
		mint_buf_release(&b);
		mint_image_release(&img);
	}
	mint_variants_cleanup();
}

static void test_scale(void)
{
	struct mint_image src, dst;
	uint32_t x, y;
	int same = 1;

	REQUIRE(!mint_image_init(&src, 3000, 1001, 4));
	memset(src.pixels, 200, src.stride * src.height);
	REQUIRE(!mint_scale_image(&src, 1024, 342, &dst));
	EXPECT_EQ(dst.width, 1024);
	EXPECT_EQ(dst.height, 342);
	for (y = 0; y < dst.height; y++)
		for (x = 0; x < dst.width * 4; x++)
			same &= dst.pixels[y * dst.stride + x] == 200;
	EXPECT(same);
	mint_image_release(&dst);
	EXPECT(mint_scale_image(&src, 3001, 10, &dst) < 0);
	mint_image_release(&src);
}

CHECK_MAIN(CHECK_CASE(test_file_lists),
	   CHECK_CASE(test_copies_names_unchanged),
	   CHECK_CASE(test_orientations),
	   CHECK_CASE(test_exif_files),
	   CHECK_CASE(test_animations),
	   CHECK_CASE(test_scale))
