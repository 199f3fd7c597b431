#!/bin/sh
':' /*; trap '' USR1; s=$0
# A launcher (@forklift/posix/launch): runs this file on Node with SIGUSR1
# blocked from exec on (never the inspector), on $FORKLIFT_NODE or PATH's node.
n=${FORKLIFT_NODE:-node}
p=$(command -v "$n") && case $p in *node_modules/.bin/node) [ -x "${p%/.bin/node}/node/bin/node" ] && n=${p%/.bin/node}/node/bin/node ;; esac
if env --block-signal=USR1 "$n" --disable-sigusr1 -v >/dev/null 2>&1; then
  exec env --block-signal=USR1 "$n" --disable-sigusr1 "$s" "$@"
elif "$n" --disable-sigusr1 -v >/dev/null 2>&1; then
  exec "$n" --disable-sigusr1 "$s" "$@"
fi
pkg=$(readlink -f "$0") && pkg=${pkg%[/]bin[/]*}/package.json
need=$(sed -n '/"engines"/,/}/s/^ *"node": *"\([^"]*\)".*$/\1/p' "$pkg" 2>/dev/null)
b=${0##*[/]} && b=${b%.mjs}
echo "$b: needs Node ${need:-with --disable-sigusr1} (found $("$n" -v 2>/dev/null || echo none) at ${p:-$n}); set FORKLIFT_NODE to a newer node" >&2
exit 1
*/
import { guardProgram, useCompileCache } from '@forklift/posix/launch'

await guardProgram(new URL('../package.json', import.meta.url))
// The bundle's bytecode from the package's own cache (scripts/bundle.mjs fills
// it); the servers it starts use their own packages' caches.
useCompileCache(new URL('../dist/compile-cache', import.meta.url))
await import('../dist/bundle/reload-cli.js')
