import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, configTrueValue, loadConfig } from '@forklift/config'

const dir = mkdtempSync(join(tmpdir(), 'smoke-config-'))
try {
  const file = join(dir, 'object-server.conf')
  writeFileSync(
    file,
    '[DEFAULT]\nuser = swift\nbind_port = 6200\n\n[app:object-server]\nmount_check = false\nlog = %(user)s.log\n',
  )
  const config = loadConfig(file)
  const conf = config.section('app:object-server')
  if (conf.bind_port !== '6200' || conf.log !== 'swift.log' || configTrueValue(conf.mount_check)) {
    throw new Error(`unexpected section ${JSON.stringify(conf)}`)
  }
  writeFileSync(file, '[DEFAULT]\nx = 1\nx = 2\n')
  try {
    loadConfig(file)
    throw new Error('a duplicate key was accepted')
  } catch (err) {
    if (!(err instanceof ConfigError) || err.code !== 'E_CONFIG_DUPLICATE_KEY') throw err
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log('ok @forklift/config')
