import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The `version` of the nearest package.json at or above the module at
 * `moduleUrl` (pass `import.meta.url`): a binary's own package, whether it
 * runs from its source tree, a bundle in `dist/`, or a deployed copy.
 * `unknown` when there is none. Read on demand: `--version` pays for it,
 * nothing else does (`version: () => packageVersion(import.meta.url)`).
 */
export function packageVersion(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl))
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        version?: unknown
      }
      return typeof pkg.version === 'string' ? pkg.version : 'unknown'
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return 'unknown'
    }
    const up = dirname(dir)
    if (up === dir) return 'unknown'
    dir = up
  }
}
