#!/usr/bin/env bash
# The README's test command: set up, then lint and run every package's and
# app's tests; ends with one summary line over all of them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
eval "$(bash scripts/test-deps.sh)"
export FORKLIFT_TEST_USER="${FORKLIFT_TEST_USER:-}" FORKLIFT_TEST_PG_URL="${FORKLIFT_TEST_PG_URL:-}"
# Lint first but keep going: a formatting slip should not hide test results.
lint_status=0
pnpm run lint || lint_status=$?
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
pnpm test 2>&1 | tee "$log" || status=$?
# swift-init against the real Python swift-init and Debian's Swift servers
# (installs Debian's swift packages first; about 3 minutes).
pnpm test:swift 2>&1 | tee -a "$log" || status=$?
node scripts/summarize-tests.mjs "$log"
if [ "$lint_status" != 0 ]; then
  echo "lint failed (pnpm lint): see above" >&2
  [ "$status" != 0 ] || status=$lint_status
fi
exit "$status"
