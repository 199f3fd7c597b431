import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createLogger, silentLogger } from './index.js'

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
  dir = undefined
})

describe('createLogger', () => {
  it('writes JSON lines with server, pid, level and time to a file', () => {
    dir = mkdtempSync(join(tmpdir(), 'fl-log-'))
    const file = join(dir, 'sub', 'server.log')
    const log = createLogger({ name: 'object-server', file })
    log.child({ worker: 2 }).info({ port: 6200 }, 'listening')
    log.debug('hidden at info')
    const lines = readFileSync(file, 'utf8').trim().split('\n')
    expect(lines).toHaveLength(1)
    const rec = JSON.parse(lines[0]!)
    expect(rec).toMatchObject({
      server: 'object-server',
      pid: process.pid,
      worker: 2,
      port: 6200,
      level: 'info',
      msg: 'listening',
    })
    expect(typeof rec.time).toBe('string')
  })

  it('writes to stderr by default, and verbose enables debug', () => {
    const script = `
      import { createLogger } from ${JSON.stringify(new URL('./index.ts', import.meta.url).pathname)}
      createLogger({ name: 'x', verbose: true }).debug('dbg')`
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    })
    expect(res.status).toBe(0)
    expect(res.stdout).toBe('')
    expect(JSON.parse(res.stderr.trim())).toMatchObject({ server: 'x', level: 'debug', msg: 'dbg' })
  })

  it('silentLogger drops everything', () => {
    expect(silentLogger().isLevelEnabled('fatal')).toBe(false)
  })
})
