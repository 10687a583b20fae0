#!/bin/sh
# make demo: open the explorer on the bundled sample disk.
set -e
cd "$(dirname "$0")/../.."
mkdir -p build
if [ ! -f build/sample.img ] || [ docs/samples/sample.img.xz -nt build/sample.img ]; then
	xz -dc docs/samples/sample.img.xz | cp --sparse=always /dev/stdin build/sample.img-t
	mv build/sample.img-t build/sample.img
fi
if [ -t 0 ] && [ -t 1 ]; then
	exec ./diskatlas sample=build/sample.img
fi
# Not a terminal: show what the explorer would, as text.
echo "(no terminal: printing the scan and the map instead of opening the explorer)"
./diskatlas --list sample=build/sample.img
./diskatlas --map --width 72 --height 16 sample=build/sample.img
