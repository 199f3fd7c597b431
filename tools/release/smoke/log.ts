import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger, silentLogger } from '@forklift/log'

const dir = mkdtempSync(join(tmpdir(), 'smoke-log-'))
try {
  const file = join(dir, 'server.log')
  createLogger({ name: 'object-server', file })
    .child({ worker: 1 })
    .info({ port: 6200 }, 'listening')
  const line = JSON.parse(readFileSync(file, 'utf8').trim()) as Record<string, unknown>
  if (
    line.server !== 'object-server' ||
    line.worker !== 1 ||
    line.msg !== 'listening' ||
    line.level !== 'info'
  ) {
    throw new Error(`unexpected line ${JSON.stringify(line)}`)
  }
  silentLogger().info('nothing')
  // Logging to a file sends no datagram: the native syslog sender stays unloaded.
  if (/forklift-posix|unix-socket/.test(readFileSync('/proc/self/maps', 'utf8'))) {
    throw new Error('a native datagram addon was loaded')
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log('ok @forklift/log')
