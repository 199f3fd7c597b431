import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadVolumeConfig } from '@forklift/volume'

const dir = mkdtempSync(join(tmpdir(), 'smoke-volume-'))
try {
  mkdirSync(join(dir, 'fast'))
  const file = join(dir, 'volume.conf')
  writeFileSync(
    file,
    [
      '[DEFAULT]',
      'enabled_backends = fast',
      'host = node1',
      '[database]',
      `connection = sqlite:///${join(dir, 'forklift.sqlite')}`,
      '[fast]',
      'volume_driver = @forklift/volume/sample-driver#createDriver',
      `volume_dir = ${join(dir, 'fast')}`,
      '',
    ].join('\n'),
  )
  const conf = loadVolumeConfig(file)
  const [fast] = conf.backends
  if (conf.enabledBackends.join() !== 'fast' || fast?.host !== 'node1@fast' || !fast.volumeDriver) {
    throw new Error(`unexpected config ${JSON.stringify(conf)}`)
  }
  writeFileSync(file, '[DEFAULT]\nenabled_backends = fast\nreport_interval = soon\n')
  try {
    loadVolumeConfig(file)
    throw new Error('report_interval = soon was accepted')
  } catch (err) {
    if ((err as { code?: string }).code !== 'E_CONFIG_VALUE') throw err
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log('ok @forklift/volume')
