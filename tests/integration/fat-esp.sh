#!/bin/sh
# fat-12.sh's checks on the EFI system partition (FAT32) of the GPT disk
# tests/images/gpt-esp-ext4.
[ -f "$(dirname "$0")/../images/gpt-esp-ext4.img.xz" ] ||
	{ echo "SKIP: tests/images/gpt-esp-ext4.img.xz is not built"; exit 77; }
FAT_NAME=gpt-esp-ext4
. "$(dirname "$0")/fat-12.sh"
