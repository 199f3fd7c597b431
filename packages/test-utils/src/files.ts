import { readFileSync, writeFileSync } from 'node:fs'

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
 * Copies a Node script to `dest` (mode 0755) with its shebang naming this very
 * Node binary: under pnpm the first `node` on PATH is a shell shim that runs
 * node as its child instead of exec'ing it, so pids recorded would be the shim's.
 */
export function installNodeScript(source: string, dest: string): void {
  const text = readFileSync(source, 'utf8').replace(/^#!.*\n/, `#!${process.execPath}\n`)
  writeFileSync(dest, text, { mode: 0o755 })
}
