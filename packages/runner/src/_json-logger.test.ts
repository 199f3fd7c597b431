import { closeSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '@forklift/test-utils'
import { expect, it } from 'vitest'
import { jsonLinesLogger } from './_json-logger.js'

it('writes pino-shaped JSON lines: level label, server, pid, bindings, serialized errors', () => {
  const dir = tempDir()
  const file = join(dir, 'log')
  const fd = openSync(file, 'a')
  const log = jsonLinesLogger({ name: 'object-server', level: 'info', fd })
  log.debug('not shown')
  log.info('plain')
  log.child({ worker: 7 }).warn({ port: 1 }, 'with fields')
  log.error({ err: Object.assign(new Error('boom'), { code: 'E_X' }) }, 'failed')
  expect(log.isLevelEnabled('debug')).toBe(false)
  closeSync(fd)
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
  expect(lines).toHaveLength(3)
  expect(lines[0]).toMatchObject({
    level: 'info',
    server: 'object-server',
    pid: process.pid,
    msg: 'plain',
  })
  expect(lines[0].time).toMatch(/^\d{4}-\d\d-\d\dT/)
  expect(lines[1]).toMatchObject({ level: 'warn', worker: 7, port: 1, msg: 'with fields' })
  expect(lines[2]).toMatchObject({
    level: 'error',
    msg: 'failed',
    err: { type: 'Error', message: 'boom', code: 'E_X' },
  })
})
