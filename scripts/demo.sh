#!/usr/bin/env bash
# The README's main job: set up, then bring up the sample deployment in
# examples/ with our swift-init and our servers (no root, no external service).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec pnpm exec node examples/demo.mjs "$@"
