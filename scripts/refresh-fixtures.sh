#!/bin/sh
# Copies the shared test data (../shared, outside the repository) into test/fixtures/.
set -eu
cd "$(dirname "$0")/.."
shared=${1:-../shared}
cp "$shared/corpus/pull-failures.jsonl" test/fixtures/pull-failures.jsonl
cp "$shared/corpus/README.md" test/fixtures/pull-failures.README.md
cp "$shared/reference-vectors.json" test/fixtures/reference-vectors.json
echo "fixtures refreshed from $shared" >&2
