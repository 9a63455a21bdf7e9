#!/usr/bin/env bash
# Make docs/tour.png, the README's picture: one original beside its
# always_random and counter files, all made by mintfs through a real mount.
# Usage: assets/make-picture.sh [BUILD]   (needs ImageMagick)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
tmp=$(mktemp -d)
trap 'fusermount3 -u "$tmp/mnt" 2>/dev/null || true; rm -rf "$tmp"' EXIT
mkdir "$tmp/mnt"
"$top/$build/mintfs" --store "$tmp/store" "$tmp/mnt"
cp "$top/assets/flower.jpg" "$tmp/mnt/Image Manager/"
img="$tmp/mnt/Images/flower"
cp "$img/original/flower.png" "$tmp/original.png"
cp "$img/always_random/flower.png" "$tmp/random1.png"
cp "$img/always_random/flower.png" "$tmp/random2.png"
cp "$img/counter/flower_3.png" "$tmp/counter.png"
zoom() {	# the bottom-right corner, enlarged, so the noise square shows
	convert "$1" -gravity SouthEast -crop 48x48+0+0 +repage -scale 500% "$2"
}
zoom "$tmp/random1.png" "$tmp/zoom1.png"
zoom "$tmp/random2.png" "$tmp/zoom2.png"
montage -font DejaVu-Sans -pointsize 13 -background white \
	-label 'original/flower.png' "$tmp/original.png" \
	-label 'always_random/flower.png' "$tmp/random1.png" \
	-label 'counter/flower_3.png' "$tmp/counter.png" \
	-label 'always_random, open #1 (corner)' "$tmp/zoom1.png" \
	-label 'open #2: other bytes' "$tmp/zoom2.png" \
	-geometry 240x180+6+6 -tile 5x1 "$tmp/tour.png"
convert "$tmp/tour.png" -colors 256 -strip "PNG8:$top/docs/tour.png"
echo "wrote docs/tour.png"
