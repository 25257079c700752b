#!/bin/sh
# The project's xz copy of the IANA registry must decompress to exactly the
# registry in ../shared (the reference copy) when that folder is present.
#   check_iana_copy.sh IN_TREE.xml.xz REFERENCE.xml
set -eu
ours="$1" ref="$2"
[ -f "$ours" ] || { echo "missing in-tree registry: $ours" >&2; exit 1; }
if [ ! -f "$ref" ]; then
	echo "no reference registry at $ref: skipped" >&2
	exit 77
fi
if xz -dc "$ours" | cmp -s - "$ref"; then
	echo "in-tree registry matches $ref"
else
	echo "in-tree registry differs from $ref: update data/iana/ (see its README)" >&2
	exit 1
fi
