import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/** Creates files (content '') and dirs (names ending with '/') under root. */
export function tree(root: string, entries: readonly string[]): void {
  for (const e of entries) {
    const p = join(root, e)
    if (e.endsWith('/')) mkdirSync(p, { recursive: true })
    else {
      mkdirSync(dirname(p), { recursive: true })
      writeFileSync(p, '')
    }
  }
}
