import { onTestFinished } from 'vitest'
import { createPgTestSchema } from '../src/testing.js'

/**
 * A fresh PostgreSQL schema for one test, dropped when it finishes; the URL
 * selects it, so child processes given the URL use it too.
 */
export async function pgSchemaUrl(base: string): Promise<string> {
  const { url, drop } = await createPgTestSchema(base)
  onTestFinished(drop)
  return url
}
