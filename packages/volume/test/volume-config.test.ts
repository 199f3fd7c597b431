import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from '@forklift/config'
import { tempDir } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { loadVolumeConfig, osloLogFile } from '../src/volume-config.js'

describe('osloLogFile (oslo.log _get_log_file_path)', () => {
  it('takes log_file, under log_dir when both are set, and <log_dir>/<binary>.log alone', () => {
    expect(osloLogFile(undefined, undefined, 'forklift-volume')).toBeUndefined()
    expect(osloLogFile('volume.log', undefined, 'forklift-volume')).toBe('volume.log')
    expect(osloLogFile('volume.log', '/var/log/cinder', 'forklift-volume')).toBe(
      '/var/log/cinder/volume.log',
    )
    // Python's os.path.join keeps an absolute second part as it is.
    expect(osloLogFile('/srv/log/v.log', '/var/log/cinder', 'forklift-volume')).toBe(
      '/srv/log/v.log',
    )
    expect(osloLogFile(undefined, '/var/log/cinder', 'cinder-volume')).toBe(
      '/var/log/cinder/cinder-volume.log',
    )
  })
})

describe('loadVolumeConfig: use_syslog and syslog_log_facility (oslo.log)', () => {
  const load = (defaults: string) => {
    const file = join(tempDir(), 'cinder.conf')
    writeFileSync(
      file,
      `[DEFAULT]\nenabled_backends = a\n${defaults}\n\n[a]\nvolume_driver = x.mjs#d\n`,
    )
    return loadVolumeConfig(file)
  }

  it('is off by default; on, LOG_USER at /dev/log; a facility in any case, with or without LOG_', () => {
    expect(load('').syslog).toBeUndefined()
    expect(load('use_syslog = False').syslog).toBeUndefined()
    expect(load('use_syslog = True').syslog).toEqual({ facility: 1, address: '/dev/log' })
    for (const [name, code] of [
      ['LOG_LOCAL0', 16],
      ['local7', 23],
      ['Daemon', 3],
      ['log_authpriv', 10],
      ['LOG_KERN', 0],
    ] as const) {
      expect(load(`use_syslog = on\nsyslog_log_facility = ${name}`).syslog?.facility).toBe(code)
    }
    expect(load('use_syslog = 1\nsyslog_address = @journal').syslog?.address).toBe('@journal')
  })

  it('refuses a facility oslo.log does not know and a boolean oslo.config would not read, naming the key', () => {
    // Linux has LOG_NTP, but oslo.log's list does not: cinder-volume refuses it too.
    for (const [line, key, problem] of [
      [
        'use_syslog = true\nsyslog_log_facility = ntp',
        'syslog_log_facility',
        '"ntp" is not a syslog facility',
      ],
      ['use_syslog = true\nsyslog_log_facility = LOCAL8', 'syslog_log_facility', '"LOCAL8" is not'],
      ['use_syslog = t', 'use_syslog', 'must be true or false (or 1/0, yes/no, on/off), not "t"'],
      ['debug = maybe', 'debug', 'not "maybe"'],
    ] as const) {
      let err: unknown
      try {
        load(line)
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).code).toBe('E_CONFIG_VALUE')
      expect((err as ConfigError).key).toBe(key)
      expect((err as ConfigError).message).toContain(problem)
      expect((err as ConfigError).message).toContain('cinder.conf')
    }
  })
})
