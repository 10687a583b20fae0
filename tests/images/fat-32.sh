#!/bin/sh
# Build tests/images/fat-32.img(.xz): see fat-12.sh.
exec sh "$(dirname "$0")/fat-12.sh" 32
