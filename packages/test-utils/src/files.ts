import { readFileSync, writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

/**
 * The JSON lines of `file` written so far, [] while it does not exist. A last
 * line without its newline is still being written and is left for next time.
 */
export function readJsonLines<T = Record<string, unknown>>(file: string): T[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  return text
    .split('\n')
    .slice(0, -1)
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T)
}

/**
 * Installs an ES module script at `dest` (mode 0755): a two-line program,
 * its shebang naming this very Node binary (under pnpm the first `node` on
 * PATH is a shell shim that runs node as its child instead of exec'ing it,
 * so pids recorded would be the shim's), that imports `source` where it
 * lies, so the script's own imports resolve from its package.
 */
export function installNodeScript(source: string, dest: string): void {
  const text = `#!${process.execPath}\nimport ${JSON.stringify(pathToFileURL(source).href)}\n`
  writeFileSync(dest, text, { mode: 0o755 })
}
