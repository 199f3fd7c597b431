import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspectPidFile, removePidFile, ServerPaths, writePidFile } from '@forklift/paths'

const dir = mkdtempSync(join(tmpdir(), 'smoke-paths-'))
try {
  const confDir = join(dir, 'etc')
  const runDir = join(dir, 'run')
  mkdirSync(join(confDir, 'object-server'), { recursive: true })
  writeFileSync(join(confDir, 'object-server/2.conf'), '[DEFAULT]\n')
  const object = new ServerPaths('object.2', { confDir, runDir })
  const [conf] = object.findConfFiles()
  if (!conf) throw new Error('object.2 found no conf')
  const pidFile = object.pidFileFor(conf)
  if (pidFile !== join(runDir, 'object-server/2.pid')) throw new Error(`pid file ${pidFile}`)
  writePidFile(pidFile, process.pid, { runDir })
  const info = inspectPidFile(pidFile, { server: { command: 'smoke.ts' } })
  if (info.state !== 'running' || info.pid !== process.pid)
    throw new Error(`state ${JSON.stringify(info)}`)
  if (inspectPidFile(pidFile, { server: { command: 'swift-object-server' } }).state !== 'foreign') {
    throw new Error('a stranger counted as the server')
  }
  removePidFile(pidFile)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log('ok @forklift/paths')
