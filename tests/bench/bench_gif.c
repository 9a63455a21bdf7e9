/*
 * bench_gif.c - the cost and the look of GIF's palette, without FUSE.
 *
 *   bench_gif IMAGE...
 *
 * For each image: decode it, then time mint_quantize (the palette and
 * the indices every GIF base is made of) and print how far the
 * indexed picture is from the source, flattened on white as GIF sees it:
 * the mean absolute error a channel (0-255) and the number of colours.
 * Prints one line per image; asserts nothing (docs/BENCHMARKS.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "generator.h"
#include "quant.h"

/* Mean absolute error a channel of the indexed picture against `img`
 * flattened on white (quant.h). */
static double mean_error(const struct mint_image *img,
			 const struct mint_palette *pal, const uint8_t *idx)
{
	uint64_t sum = 0;
	uint32_t x, y;
	unsigned c;

	for (y = 0; y < img->height; y++) {
		const uint8_t *s = img->pixels + (size_t)y * img->stride;

		for (x = 0; x < img->width; x++, s += img->channels) {
			const uint8_t *p = pal->rgb[*idx++];
			unsigned a = img->channels == 4 ? s[3] : 255;

			for (c = 0; c < 3; c++) {
				int v = (int)((s[c] * a + 255 * (255 - a) +
					       127) / 255);

				sum += (uint64_t)abs(v - p[c]);
			}
		}
	}
	return (double)sum / (3.0 * img->width * img->height);
}

int main(int argc, char *argv[])
{
	struct mint_palette pal;
	struct mint_image img;
	double t0, c0, wall, cpu;
	uint8_t *idx;
	int i, rc;

	printf("%-28s %11s %11s %7s %10s\n", "image", "quantize", "CPU",
	       "colours", "mean error");
	for (i = 1; i < argc; i++) {
		const char *base = bench_picture(argv[i], &img);

		if (!base)
			continue;
		idx = malloc((size_t)img.width * img.height);
		t0 = now_ms();
		c0 = cpu_ms();
		rc = idx ? mint_quantize(&img, img.width, img.height, &pal,
					 idx) : -ENOMEM;
		cpu = cpu_ms() - c0;
		wall = now_ms() - t0;
		if (rc)
			printf("%s: quantize: %d\n", base, rc);
		else
			printf("%-28s %8.0f ms %8.0f ms %7u %10.3f\n", base,
			       wall, cpu, pal.count,
			       mean_error(&img, &pal, idx));
		free(idx);
		mint_image_release(&img);
	}
	mint_generators_cleanup();
	return 0;
}
