/*
 * fuzz_vp8.c - libFuzzer target: the VP8 key-frame reader that
 * always_random and counter/ WebPs start from (splice/vp8_parse.c), on
 * any bytes as a "VP8 " chunk's payload. A frame it accepts is then
 * coded as always_random does (vp8_tail_code) and, with a box, as
 * counter/ does (vp8_band_code), which must not read or write out of
 * bounds whatever the frame said.
 */
#include "fuzz.h"
#include "vp8.h"

/* Flat levels: the coder's paths, not the pixels, are under test. */
static void levels(void *arg, uint32_t i, uint32_t j, struct vp8_levels *lv)
{
	(void)arg;
	memset(lv, 0, sizeof(*lv));
	lv->y2[0] = (int16_t)(i + j + 1);
	lv->y[5][3] = -2047;
	lv->uv[7][15] = 3;
}

static void noise(const uint8_t *data, size_t len)
{
	struct vp8_frame f;
	struct vp8_nz above[2];
	uint8_t rnd[2 * 2 * VP8_RND_PER_MB], out[4096];
	int t;

	if (vp8_frame_read(data, len, 0, 0, &f))
		return;
	memset(rnd, 0x5a, sizeof(rnd));
	memcpy(above, f.tail[0].above, f.cols * sizeof(above[0]));
	for (t = 0; t < f.ntails; t++)
		vp8_tail_code(&f, &f.tail[t], above,
			      rnd + (size_t)t * f.cols * VP8_RND_PER_MB, out,
			      sizeof(out));
	vp8_frame_free(&f);
}

static void box(const uint8_t *data, size_t len, uint32_t w, uint32_t h)
{
	uint8_t *out[VP8_MAX_PARTS];
	size_t olen[VP8_MAX_PARTS];
	struct vp8_frame f;
	int t;

	if (vp8_frame_read(data, len, w / 4 + 1, h / 3 + 1, &f))
		return;
	if ((size_t)f.rows * f.cols <= 1024 &&
	    !vp8_band_code(&f, levels, NULL, out, olen))
		for (t = 0; t < f.ntails; t++)
			free(out[t]);
	vp8_frame_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint32_t w, h;

	if (len < 10)
		return 0;
	w = (data[6] | data[7] << 8) & 0x3fff;
	h = (data[8] | data[9] << 8) & 0x3fff;
	if ((uint64_t)w * h > FUZZ_MAX_PIXELS)
		return 0;
	noise(data, len);
	box(data, len, w, h);
	return 0;
}
