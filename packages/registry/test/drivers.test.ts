import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'

const FIXTURE = join(import.meta.dirname, 'fixtures', 'which-drivers.mjs')

function run(url: string, missing?: string) {
  const out = execFileSync(process.execPath, [FIXTURE, url, ...(missing ? [missing] : [])], {
    encoding: 'utf8',
    timeout: 30_000,
  })
  return JSON.parse(out) as { loaded: string[]; error: { code: string; message: string } | null }
}

describe('database drivers are loaded only for their URLs', () => {
  it('SQLite loads neither pg nor mysql2', () => {
    expect(run(`sqlite:///${join(tempDir(), 'r.sqlite')}`)).toEqual({ loaded: [], error: null })
  })

  it('a PostgreSQL URL loads pg only, a MySQL URL mysql2 only', () => {
    // Port 1: nothing listens, so the driver is loaded and the connection refused.
    expect(run('postgresql://u:p@127.0.0.1:1/db')).toMatchObject({
      loaded: ['pg'],
      error: { code: 'E_REGISTRY_CONNECT' },
    })
    expect(run('mysql://u:p@127.0.0.1:1/db')).toMatchObject({
      loaded: ['mysql2'],
      error: { code: 'E_REGISTRY_CONNECT' },
    })
  })

  it('names the package to install when the driver is missing', () => {
    expect(run('postgresql://u:p@127.0.0.1:1/db', 'pg').error).toEqual({
      code: 'E_REGISTRY_DRIVER',
      message:
        'a PostgreSQL registry needs the pg package, which is not installed (npm install pg)',
    })
    expect(run('mysql://u:p@127.0.0.1:1/db', 'mysql2').error).toEqual({
      code: 'E_REGISTRY_DRIVER',
      message:
        'a MySQL registry needs the mysql2 package, which is not installed (npm install mysql2)',
    })
  })

  it('keeps the supervisor and the network drivers out of the dependency tree', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'))
    expect(Object.keys(pkg.dependencies).sort()).toEqual([
      '@forklift/errors',
      '@forklift/log',
      'kysely',
    ])
    expect(pkg.peerDependenciesMeta).toEqual({
      mysql2: { optional: true },
      pg: { optional: true },
    })
  })
})
