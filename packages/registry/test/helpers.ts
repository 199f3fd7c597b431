import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { onTestFinished } from 'vitest'

/** A temp dir removed when the current test finishes. */
export function tempDir(prefix = 'fl-reg-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5 }))
  return dir
}

/** The PostgreSQL URL the test environment provides; in CI it must be there. */
export function basePgUrl(): string | undefined {
  const url = process.env.FORKLIFT_TEST_PG_URL
  if (!url && process.env.CI) {
    throw new Error(
      'FORKLIFT_TEST_PG_URL is not set (scripts/test-deps.sh provides it); required in CI',
    )
  }
  return url || undefined
}

export const PG_SKIP_MESSAGE =
  'FORKLIFT_TEST_PG_URL is not set: skipping PostgreSQL registry tests (run via scripts/test.sh)'

/**
 * A fresh PostgreSQL schema for one test, dropped when it finishes: parallel
 * runs never see each other's tables. The returned URL selects it with
 * libpq's `options=-c search_path=…`, so child processes use it too.
 */
export async function pgSchemaUrl(base: string): Promise<string> {
  const schema = `fl_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
  const client = new pg.Client({ connectionString: base })
  await client.connect()
  await client.query(`create schema ${schema}`)
  await client.end()
  onTestFinished(async () => {
    const c = new pg.Client({ connectionString: base })
    await c.connect()
    await c.query(`drop schema if exists ${schema} cascade`)
    await c.end()
  })
  const sep = base.includes('?') ? '&' : '?'
  return `${base}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`
}

/** Polls `fn` until it returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  what: string,
  timeoutMs = 15_000,
  stepMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v) return v as NonNullable<T>
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ''}`,
      )
    }
    await new Promise((r) => setTimeout(r, stepMs))
  }
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
