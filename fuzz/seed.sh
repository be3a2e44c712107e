#!/bin/sh
# Generates the seed corpora under fuzz/corpus/<target>/ from the project's own corpus/
# files: each workflow as XML, binary and JSON plist, in a signed (AEA) container stored
# and LZFSE-compressed, as zipped action clips, and as printed DSL.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
cargo run --quiet --release --example fuzz_seeds -- corpus "$here/corpus"
