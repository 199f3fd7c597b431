import { join } from 'node:path'
import { tempDir } from '@forklift/test-utils'
import { onTestFinished } from 'vitest'
import { openRegistry, type Registry } from '../src/index.js'
import {
  createMysqlTestDatabase,
  createPgTestSchema,
  MYSQL_SKIP_MESSAGE,
  PG_SKIP_MESSAGE,
  testMysqlUrl,
  testPgUrl,
} from '../src/testing.js'

export const pgBase = testPgUrl()
export const mysqlBase = testMysqlUrl()
if (!pgBase) console.warn(PG_SKIP_MESSAGE)
if (!mysqlBase) console.warn(MYSQL_SKIP_MESSAGE)

/** One database the registry suite runs on. */
export interface Backend {
  name: 'sqlite' | 'postgres' | 'mysql'
  skip: boolean
  /** A fresh, empty registry URL for the current test (removed after it). */
  url(): Promise<string>
}

/** SQLite always; PostgreSQL and MariaDB when scripts/test-deps.sh gave their URLs (always in CI). */
export const backends: Backend[] = [
  {
    name: 'sqlite',
    skip: false,
    url: async () => `sqlite:///${join(tempDir(), 'registry.sqlite')}`,
  },
  {
    name: 'postgres',
    skip: !pgBase,
    url: async () => {
      const { url, drop } = await createPgTestSchema(pgBase!)
      onTestFinished(drop)
      return url
    },
  },
  {
    name: 'mysql',
    skip: !mysqlBase,
    url: async () => {
      const { url, drop } = await createMysqlTestDatabase(mysqlBase!)
      onTestFinished(drop)
      return url
    },
  },
]

/** A registry handle closed when the test finishes. */
export function open(url: string): Registry {
  const r = openRegistry(url)
  onTestFinished(() => r.close())
  return r
}
