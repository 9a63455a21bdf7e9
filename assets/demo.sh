#!/usr/bin/env bash
# Fill a freshly mounted mintfs with the demo originals, unless its Image
# Manager already holds something. Usage: assets/demo.sh MOUNTPOINT
set -eu
here=$(dirname "$0")
im="$1/Image Manager"
if [ -z "$(ls -A "$im")" ]; then
	cp "$here/flower.jpg" "$here/badge.png" "$here/note 640x360.txt" "$im/"
	echo "demo originals copied into $im"
fi
