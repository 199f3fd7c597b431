#!/usr/bin/env bash
# The README's test command: set up, then run every package's and app's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
eval "$(bash scripts/test-deps.sh)"
export FORKLIFT_TEST_USER="${FORKLIFT_TEST_USER:-}" FORKLIFT_TEST_PG_URL="${FORKLIFT_TEST_PG_URL:-}"
pnpm run lint
pnpm test
