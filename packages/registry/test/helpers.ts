import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onTestFinished } from 'vitest'
import { createPgTestSchema } from '../src/testing.js'

export { waitFor } from '../src/testing.js'

/** A temp dir removed when the current test finishes. */
export function tempDir(prefix = 'fl-reg-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5 }))
  return dir
}

/**
 * A fresh PostgreSQL schema for one test, dropped when it finishes; the URL
 * selects it, so child processes given the URL use it too.
 */
export async function pgSchemaUrl(base: string): Promise<string> {
  const { url, drop } = await createPgTestSchema(base)
  onTestFinished(drop)
  return url
}

/** The JSON lines a createLogger({ file }) wrote so far. */
export function readLogLines(file: string): Array<Record<string, unknown>> {
  let text = ''
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return []
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}
