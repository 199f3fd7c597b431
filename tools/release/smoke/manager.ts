import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { COMMANDS, Manager } from '@forklift/manager'

const dir = mkdtempSync(join(tmpdir(), 'smoke-manager-'))
try {
  mkdirSync(join(dir, 'etc'))
  writeFileSync(join(dir, 'etc/object-server.conf'), '[DEFAULT]\nbind_port = 6200\n')
  // As swift's, the Manager drops a server whose binary it cannot find: one
  // of its own, so the result does not hang on what this machine installed.
  mkdirSync(join(dir, 'bin'))
  writeFileSync(join(dir, 'bin/swift-object-server'), '#!/bin/sh\nexit 0\n')
  chmodSync(join(dir, 'bin/swift-object-server'), 0o755)
  let out = ''
  const m = new Manager(['object'], {
    confDir: join(dir, 'etc'),
    runDir: join(dir, 'run'),
    binDirs: [join(dir, 'bin')],
    stdout: { write: (s: string) => (out += s) },
    raiseLimits: false,
  })
  const status = await m.run('status')
  if (status !== 1 || !out.includes('No object-server running'))
    throw new Error(`status ${status}: ${out}`)
  if (!COMMANDS.some((c) => c.name === 'reload-seamless')) throw new Error('no reload-seamless')
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log('ok @forklift/manager')
