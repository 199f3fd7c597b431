import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { createLogger, silentLogger } from './index.js'

describe('createLogger', () => {
  it('writes JSON lines with server, pid, level and time to a file', () => {
    const file = join(tempDir(), 'sub', 'server.log')
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

  it('silentLogger drops everything, and its children too', () => {
    const log = silentLogger()
    expect(log.isLevelEnabled('fatal')).toBe(false)
    expect(log.level).toBe('silent')
    const child = log.child({ worker: 1 })
    expect(child.isLevelEnabled('error')).toBe(false)
    expect(() => {
      child.error({ err: new Error('x') }, 'dropped')
      log.flush()
    }).not.toThrow()
  })

  it('does not load pino until a real logger is created', () => {
    const script = `
      import { silentLogger } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).pathname)}
      import { createRequire } from 'node:module'
      silentLogger().info('x')
      const loaded = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/pino/'))
      process.stdout.write(String(loaded))`
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    })
    expect(res.stderr).toBe('')
    expect(res.stdout).toBe('false')
  })
})
