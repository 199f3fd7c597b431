import { join } from 'node:path'
import { tempFiles } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { loadOsloConfig } from '../src/oslo.js'
import { ini } from './helpers.js'

function sources() {
  const { dir, write } = tempFiles()
  const main = write(
    'cinder.conf',
    ini(`
      [DEFAULT]
      host = node1
      backend_host = ignored
      report_interval = 10
      state_path = %(here)s/state

      [database]
      connection = sqlite:///first

      [lvm]
      volume_driver = a#b
    `),
  )
  write(
    'cinder.conf.d/20-late.conf',
    ini(`
      [DEFAULT]
      report_interval = 2

      [lvm]
      backend_host = late-host
    `),
  )
  write(
    'cinder.conf.d/10-early.conf',
    ini(`
      [DEFAULT]
      report_interval = 5

      [nfs]
      volume_driver = c#d
    `),
  )
  return { dir, main, confd: join(dir, 'cinder.conf.d') }
}

describe('loadOsloConfig', () => {
  it('reads --config-file then --config-dir in sorted order, later sources winning key by key', () => {
    const { dir, main, confd } = sources()
    const conf = loadOsloConfig(main, confd)
    expect(conf.files).toEqual([main, join(confd, '10-early.conf'), join(confd, '20-late.conf')])
    expect(conf.get('DEFAULT', 'report_interval')).toBe('2')
    expect(conf.get('DEFAULT', 'host')).toBe('node1')
    expect(conf.get('DEFAULT', 'state_path')).toBe(`${dir}/state`)
    expect(conf.where('DEFAULT', 'report_interval')).toMatchObject({
      file: join(confd, '20-late.conf'),
      line: 2,
      section: 'DEFAULT',
      key: 'report_interval',
    })
  })

  it("reads a group's options from its own section only, never from [DEFAULT]", () => {
    const { main, confd } = sources()
    const conf = loadOsloConfig(main, confd)
    expect(conf.get('lvm', 'backend_host')).toBe('late-host')
    expect(conf.get('nfs', 'backend_host')).toBeUndefined() // [DEFAULT] backend_host is not the group's
    expect(conf.get('lvm', 'volume_driver')).toBe('a#b')
    expect(conf.get('database', 'connection')).toBe('sqlite:///first')
    expect(conf.get('nowhere', 'x')).toBeUndefined()
    expect([
      conf.hasSection('nfs'),
      conf.hasSection('nowhere'),
      conf.hasSection('DEFAULT'),
    ]).toEqual([true, false, false])
  })

  it('hands a section its own keys over the merged [DEFAULT], across sources', () => {
    const { main, confd } = sources()
    const lvm = loadOsloConfig([main], confd).section('lvm')
    expect(lvm).toMatchObject({
      host: 'node1',
      report_interval: '2',
      volume_driver: 'a#b',
      backend_host: 'late-host',
    })
    expect(loadOsloConfig(main).section('absent')).toMatchObject({ host: 'node1' })
  })
})
