import pg from 'pg'

/**
 * Test support for code that uses the registry: the PostgreSQL test server
 * (`FORKLIFT_TEST_PG_URL`, set by scripts/test.sh) and throwaway schemas on it.
 */

/** FORKLIFT_TEST_PG_URL, or undefined; throws when CI is set and it is missing (CI must test PostgreSQL). */
export function testPgUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = env.FORKLIFT_TEST_PG_URL
  if (!url && env.CI) {
    throw new Error(
      'FORKLIFT_TEST_PG_URL is not set (scripts/test-deps.sh provides it); required in CI',
    )
  }
  return url || undefined
}

/** The line to print when PostgreSQL tests are skipped. */
export const PG_SKIP_MESSAGE =
  'FORKLIFT_TEST_PG_URL is not set: skipping PostgreSQL registry tests (run them via scripts/test.sh)'

/**
 * Creates a fresh schema on `base` and returns a connection URL that selects it
 * (libpq's `options=-c search_path=…`, which child processes given the URL
 * use too), so parallel runs never see each other's tables. `drop()` removes it.
 */
export async function createPgTestSchema(
  base: string,
  prefix = 'fl_test',
): Promise<{ url: string; schema: string; drop(): Promise<void> }> {
  const schema = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
  await withClient(base, (c) => c.query(`create schema ${schema}`))
  const sep = base.includes('?') ? '&' : '?'
  return {
    schema,
    url: `${base}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    drop: async () => {
      await withClient(base, (c) => c.query(`drop schema if exists ${schema} cascade`))
    },
  }
}

/** Runs `fn` on a fresh client of `url` and closes it. */
export async function withClient<T>(
  url: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}
