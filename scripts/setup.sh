#!/usr/bin/env bash
# Idempotent set-up shared by the two README commands: pnpm, the locked
# dependencies (among them Node 24, which pnpm puts first on PATH for every
# script), and a build of every package and app.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm -v 2>/dev/null)" != "$PNPM_VERSION" ]; then
  if [ -w "$(npm prefix -g 2>/dev/null)/lib" ] 2>/dev/null || [ "$(id -u)" = 0 ]; then
    echo "setup: installing pnpm $PNPM_VERSION globally" >&2
    npm install -g --loglevel=error "pnpm@$PNPM_VERSION" >&2
  else
    echo "setup: installing pnpm $PNPM_VERSION under .tools/" >&2
    npm install --prefix "$PWD/.tools" --loglevel=error "pnpm@$PNPM_VERSION" >&2
    export PATH="$PWD/.tools/node_modules/.bin:$PATH"
  fi
fi

CI=true pnpm install --frozen-lockfile --reporter=append-only >&2
pnpm exec node -e 'const [maj]=process.versions.node.split(".").map(Number); if (maj < 24) { console.error(`setup: pnpm scripts run on Node ${process.version}, expected 24`); process.exit(1) }'
pnpm run build >&2
