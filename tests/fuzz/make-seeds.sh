#!/usr/bin/env bash
# Regenerate the fuzz seed corpus, tests/fuzz/corpus/<target>/, with
# ImageMagick, cjpeg/jpegtran, cwebp and img2webp (Debian: imagemagick,
# libjpeg-turbo-progs, webp). The seeds are committed: CI fuzzes from them
# without running this. Small on purpose (tiny pictures, a few hundred
# bytes to a few KB each): libFuzzer mutates small inputs faster.
#
# The commit and text targets read a file name from the input's last
# bytes (tests/fuzz/fuzz.h): name, then one byte holding its length.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=tests/fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for t in commit png jpeg webp text heif gif bmp tiff; do
	rm -rf "${out:?}/$t"
	mkdir -p "$out/$t"
done

# Deterministic PNGs: no time or date chunks.
im() { convert "$@"; }
pngopt=(-strip -define png:exclude-chunks=date,time)

# The source pictures: a textured 24x16, and one with an alpha ramp.
im -seed 7 -size 24x16 plasma:red-blue "$tmp/base.ppm"
im -size 24x16 gradient:white-black "$tmp/ramp.pgm"
im "$tmp/base.ppm" "$tmp/ramp.pgm" -alpha off -compose copy_opacity \
	-composite "${pngopt[@]}" "$tmp/alpha.png"

# ---- PNG: every flavour the decoder converts -----------------------------
p=$out/png
im "$tmp/base.ppm" "${pngopt[@]}" "PNG24:$p/rgb8.png"
im "$tmp/alpha.png" "${pngopt[@]}" "PNG32:$p/rgba8.png"
im "$tmp/base.ppm" "${pngopt[@]}" -colors 16 "PNG8:$p/palette.png"
im "$tmp/alpha.png" "${pngopt[@]}" -colors 16 "PNG8:$p/palette-trns.png"
im "$tmp/base.ppm" "${pngopt[@]}" -colorspace gray -depth 8 \
	"PNG:$p/gray8.png"
im "$tmp/base.ppm" "${pngopt[@]}" -colorspace gray -depth 2 \
	-define png:color-type=0 -define png:bit-depth=2 "PNG:$p/gray2.png"
im "$tmp/base.ppm" "${pngopt[@]}" -monochrome "PNG:$p/gray1.png"
im "$tmp/alpha.png" "${pngopt[@]}" -colorspace gray \
	-define png:color-type=4 "PNG:$p/gray-alpha.png"
im "$tmp/base.ppm" "${pngopt[@]}" -depth 16 "PNG48:$p/rgb16.png"
im "$tmp/alpha.png" "${pngopt[@]}" -depth 16 "PNG64:$p/rgba16.png"
im "$tmp/base.ppm" "${pngopt[@]}" -colorspace gray -depth 16 \
	-define png:color-type=0 "PNG:$p/gray16.png"
im "$tmp/base.ppm" "${pngopt[@]}" -interlace PNG "PNG24:$p/interlaced.png"
im "$tmp/alpha.png" "${pngopt[@]}" -interlace PNG -colors 8 \
	"PNG8:$p/interlaced-palette.png"
# ancillary chunks as ImageMagick writes them: gAMA, cHRM, bKGD, tEXt
im "$tmp/base.ppm" -set comment "a tEXt chunk" \
	-define png:exclude-chunks=date,time "PNG24:$p/ancillary.png"
im -size 1x1 xc:red "${pngopt[@]}" "PNG24:$p/1x1.png"
head -c 60 "$p/rgb8.png" >"$p/truncated-idat.png"
head -c 33 "$p/rgb8.png" >"$p/truncated-after-ihdr.png"

# ---- JPEG: baseline, sampling, gray, progressive, CMYK, arithmetic -------
j=$out/jpeg
cjpeg -quality 75 -sample 2x2 "$tmp/base.ppm" >"$j/420.jpg"
cjpeg -quality 90 -sample 1x1 "$tmp/base.ppm" >"$j/444.jpg"
cjpeg -quality 75 -sample 2x1 "$tmp/base.ppm" >"$j/422.jpg"
cjpeg -quality 75 -grayscale "$tmp/base.ppm" >"$j/gray.jpg"
cjpeg -quality 75 -progressive "$tmp/base.ppm" >"$j/progressive.jpg"
cjpeg -quality 75 -progressive -grayscale "$tmp/base.ppm" \
	>"$j/progressive-gray.jpg"
cjpeg -quality 75 -restart 1B "$tmp/base.ppm" >"$j/restart.jpg"
cjpeg -quality 75 -arithmetic "$tmp/base.ppm" >"$j/arithmetic.jpg"
cjpeg -quality 75 -optimize "$tmp/base.ppm" >"$j/optimized.jpg"
im "$tmp/base.ppm" -strip -colorspace cmyk -quality 75 "JPEG:$j/cmyk.jpg"
im -size 17x9 xc:teal -strip -quality 50 "JPEG:$j/odd-size.jpg"
head -c 300 "$j/420.jpg" >"$j/truncated.jpg"
head -c 200 "$j/progressive.jpg" >"$j/truncated-progressive.jpg"
# all the image data but the EOI marker: accepted
head -c -2 "$j/420.jpg" >"$j/no-eoi.jpg"
head -c -2 "$j/progressive.jpg" >"$j/no-eoi-progressive.jpg"

# ---- WebP: lossy, lossless, alpha, extended, animated --------------------
w=$out/webp
im "$tmp/base.ppm" "$tmp/base.png"
cwebp -quiet -q 60 "$tmp/base.png" -o "$w/lossy.webp"
cwebp -quiet -lossless "$tmp/base.png" -o "$w/lossless.webp"
cwebp -quiet -q 60 "$tmp/alpha.png" -o "$w/lossy-alpha.webp"
cwebp -quiet -lossless "$tmp/alpha.png" -o "$w/lossless-alpha.webp"
cwebp -quiet -q 60 -alpha_filter best -alpha_method 0 "$tmp/alpha.png" \
	-o "$w/lossy-alpha-raw.webp"
im "$tmp/base.ppm" -flip "$tmp/rot.png"
img2webp -q 50 -d 100 "$tmp/base.png" "$tmp/rot.png" -o "$w/animated.webp" \
	>/dev/null 2>&1 || { echo "img2webp failed" >&2; exit 1; }
head -c 60 "$w/lossy.webp" >"$w/truncated-lossy.webp"
head -c 40 "$w/lossless.webp" >"$w/truncated-lossless.webp"

# ---- HEIF: libheif's HEIC and AVIF, alpha, and our own grid files -------
# (heif-enc: libheif-examples; mintctl: a grid as original/ serves it)
# (8-bit RGB input: aom 3.6 asserts on what heif-enc makes of 16-bit)
f=$out/heif
im "$tmp/base.ppm" -depth 8 "PNG24:$tmp/h.png"
im "$tmp/alpha.png" -depth 8 "PNG32:$tmp/ha.png"
heif-enc -q 40 "$tmp/h.png" -o "$f/one.heic" >/dev/null
heif-enc -q 40 "$tmp/h.png" -o "$f/one.avif" >/dev/null
heif-enc -q 40 "$tmp/ha.png" -o "$f/alpha.heic" >/dev/null
heif-enc -q 40 "$tmp/ha.png" -o "$f/alpha.avif" >/dev/null
st=$tmp/store
im -seed 7 -size 530x70 plasma:red-blue "$tmp/wide.png"
build/mintctl --store "$st" add "$tmp/wide.png" >/dev/null
for e in heic avif; do
	build/mintctl --store "$st" cat "Images/wide/original/wide.$e" \
		>"$f/grid.$e"
done
head -c 300 "$f/grid.heic" >"$f/truncated-grid.heic"
head -c 200 "$f/one.avif" >"$f/truncated-one.avif"
# ---- GIF, BMP, TIFF: what the three generators read -----------------------
g=$out/gif
im "$tmp/base.ppm" -colors 64 "$g/still.gif"
im "$tmp/base.ppm" -colors 16 -interlace GIF "$g/interlaced.gif"
im "$tmp/alpha.png" -colors 16 "$g/transparent.gif"
im -delay 10 "$tmp/base.ppm" "$tmp/rot.png" -colors 32 -loop 0 \
	"$g/animated.gif"
im "$tmp/base.ppm" -colors 16 -page 40x30+5+4 "$g/offset-frame.gif"
head -c 80 "$g/still.gif" >"$g/truncated.gif"
b=$out/bmp
im "$tmp/base.ppm" "BMP3:$b/rgb24.bmp"
im "$tmp/alpha.png" "BMP:$b/rgba32-v5.bmp"
im "$tmp/base.ppm" -colors 16 -type Palette "BMP3:$b/palette4.bmp"
im "$tmp/base.ppm" -colors 200 -type Palette "BMP3:$b/palette8.bmp"
im "$tmp/base.ppm" -monochrome "BMP3:$b/mono1.bmp"
im "$tmp/base.ppm" -define bmp:subtype=RGB565 "BMP:$b/rgb565.bmp"
im "$tmp/base.ppm" -flip -define bmp3:top-down=true "BMP3:$b/plain.bmp"
head -c 100 "$b/rgb24.bmp" >"$b/truncated.bmp"
f=$out/tiff
im "$tmp/base.ppm" -compress none "$f/rgb.tiff"
im "$tmp/alpha.png" -compress zip "$f/rgba-zip.tiff"
im "$tmp/base.ppm" -compress lzw -define tiff:predictor=2 "$f/lzw.tiff"
im "$tmp/base.ppm" -colorspace gray -compress none "$f/gray.tiff"
im "$tmp/base.ppm" -compress jpeg "$f/jpeg.tiff"
im "$tmp/base.ppm" -orient RightTop -compress none "$f/orient6.tiff"
im "$tmp/base.ppm" -endian MSB -compress none "$f/big-endian.tiff"
im "$tmp/base.ppm" -define tiff:tile-geometry=16x16 "$f/tiled.tiff"
head -c 200 "$f/rgb.tiff" >"$f/truncated.tiff"

# ---- text: layout, with a name (and page size) in the trailing bytes -----
x=$out/text
named() {	# named FILE NAME: append NAME and its length byte
	printf '%s' "$2" >>"$1"
	printf "\\$(printf '%03o' "${#2}")" >>"$1"
}
printf 'Hello, world.\nA second line\n' >"$x/hello"
named "$x/hello" "hello.txt"
printf 'Wrap me: the quick brown fox jumps over the lazy dog, again and again and again.\n' >"$x/wrap-64x32"
named "$x/wrap-64x32" "note 64x32.txt"
printf '\xef\xbb\xbf\tTabbed\r\nCR LF, BOM, caf\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x98\x80, \xe4\xb8\xad\xe6\x96\x87\n' \
	>"$x/utf8-bom"
named "$x/utf8-bom" "u 200x100.txt"
head -c 3000 /dev/zero | tr '\0' 'W' >"$x/long-word"
named "$x/long-word" "w 100x40.txt"
printf 'Enough lines\n%.0s' $(seq 40) >"$x/overflow"
named "$x/overflow" "o 120x60.txt"
printf '\xcc\x81\xcc\x81\xcc\x81\xcc\x81 combining marks\n' >"$x/marks"
named "$x/marks" "m.txt"
: >"$x/empty"
named "$x/empty" "empty 16x16.txt"
printf 'bad \xc3\x28 utf8\n' >"$x/invalid"
named "$x/invalid" "bad.txt"
# Scripts Pango shapes, reorders and finds fonts for.
printf 'Hello, \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e, \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7, \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82, \xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\xa8\xe0\xa5\x8d\xe0\xa4\xa6\xe0\xa5\x80 \xe0\xb9\x84\xe0\xb8\x97\xe0\xb8\xa2 \xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 \xf0\x9f\x98\x80 \xf0\x9f\x8e\x89\n' \
	>"$x/scripts"
named "$x/scripts" "s 160x120.txt"
printf '\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d 123 abc \xd7\xa2\xd7\x95\xd7\x9c\xd7\x9d.\n\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 (\xd8\xa8\xd8\xa7\xd9\x84\xd8\xb9\xd8\xa7\xd9\x84\xd9\x85) 42\n\xe2\x80\x8fx\xe2\x80\xaey\xe2\x80\xac\n' \
	>"$x/rtl"
named "$x/rtl" "r 120x80.txt"
for i in $(seq 60); do printf '\xe4\xb8\xad\xe6\x96\x87\xe6\x96\x87\xe6\x9c\xac'; done >"$x/cjk-long"
named "$x/cjk-long" "c 90x60.txt"
printf '\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7 \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd \xf0\x9f\x87\xaf\xf0\x9f\x87\xb5 1\xef\xb8\x8f\xe2\x83\xa3 \xe2\x98\xba\xef\xb8\x8f \xe2\x98\xba\n' \
	>"$x/emoji"
named "$x/emoji" "e 100x50.txt"
for i in $(seq 40); do printf '\xe0\xa4\x95\xe0\xa5\x8d\xe0\xa4\xb7\xe0\xa4\xbf'; done >"$x/conjuncts"
named "$x/conjuncts" "k 80x40.txt"

# ---- commit: one of each kind, as a user would write them ----------------
c=$out/commit
cp "$p/rgba8.png" "$p/palette.png" "$c/"
cp "$j/420.jpg" "$j/progressive.jpg" "$c/"
cp "$w/lossy-alpha.webp" "$c/"
named "$c/lossy-alpha.webp" "lossy-alpha.webp"
cp "$w/lossless.webp" "$c/"
named "$c/lossless.webp" "lossless.webp"
cp "$x/hello" "$x/utf8-bom" "$x/overflow" "$c/"
printf 'BM\x00\x00\x00\x00not an image we take\n\x00\xff' >"$c/bmp-like"
named "$c/bmp-like" "image.bmp"

# ---- vp8: "VP8 " chunk payloads (the frame always_random re-codes) --------
# cwebp writes one token partition (these two are made here). eight-* are
# frames in eight token partitions from mintfs's encoder with libwebp's
# low_memory (src/encode.c now asks two where it needs more than one),
# kept as committed: no tool here makes them.
v=$out/vp8
mkdir -p "$v"
vp8_payload() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
off = 12
while off + 8 <= len(d):
    tag, n = d[off:off + 4], struct.unpack("<I", d[off + 4:off + 8])[0]
    if tag == b"VP8 ":
        open(sys.argv[2], "wb").write(d[off + 8:off + 8 + n])
        break
    off += 8 + n + (n & 1)
PY
}
vp8_payload "$w/lossy.webp" "$v/one-partition"
vp8_payload "$w/lossy-alpha.webp" "$v/one-partition-alpha"

du -sb "$out"/* | sed 's|^|seeds: |'
