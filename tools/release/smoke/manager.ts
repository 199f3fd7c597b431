import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { COMMANDS, Manager } from '@forklift/manager'

const dir = mkdtempSync(join(tmpdir(), 'smoke-manager-'))
try {
  mkdirSync(join(dir, 'etc'))
  writeFileSync(join(dir, 'etc/object-server.conf'), '[DEFAULT]\nbind_port = 6200\n')
  let out = ''
  const m = new Manager(['object'], {
    confDir: join(dir, 'etc'),
    runDir: join(dir, 'run'),
    stdout: { write: (s: string) => (out += s) },
    raiseLimits: false,
  })
  const status = await m.run('status')
  if (status !== 1 || !out.includes('object-server')) throw new Error(`status ${status}: ${out}`)
  if (!COMMANDS.some((c) => c.name === 'reload-seamless')) throw new Error('no reload-seamless')
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log('ok @forklift/manager')
