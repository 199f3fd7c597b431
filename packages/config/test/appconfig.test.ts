import { join } from 'node:path'
import { tempFiles } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { loadServerConf } from '../src/appconfig.js'

function conf(text: string): string {
  return tempFiles().write('server.conf', text)
}

const PIPELINE = `[DEFAULT]
bind_port = 6200
workers = 3
log_file = %(here)s/x.log

[pipeline:main]
pipeline = healthcheck object-server

[filter:healthcheck]
use = forklift#healthcheck

[app:object-server]
use = forklift#hello
set workers = 5

[object-replicator]
interval = 7
`

describe('loadServerConf', () => {
  it('reads [DEFAULT] + [app:<section>], with paste.deploy set overrides and %(here)s', () => {
    const file = conf(PIPELINE)
    const s = loadServerConf(file, { section: 'object-server' })
    expect(s.section).toBe('app:object-server')
    expect(s.logName).toBe('object-server')
    expect(s.conf.workers).toBe('5')
    expect(s.conf.log_file).toBe(join(file, '..', 'x.log'))
    // paste.deploy: `set` replaces the global value for this app
    expect(s.global.workers).toBe('5')
  })

  it('a plain local key that is also in [DEFAULT] loses to the global value (paste.deploy)', () => {
    const s = loadServerConf(conf(PIPELINE.replace('set workers = 5', 'workers = 5')), {
      section: 'object-server',
    })
    expect(s.conf.workers).toBe('3')
  })

  it('without a section, takes the app [pipeline:main] ends in', () => {
    const s = loadServerConf(conf(PIPELINE))
    expect(s.section).toBe('app:object-server')
  })

  it('finds a daemon section without prefix', () => {
    const s = loadServerConf(conf(PIPELINE), { section: 'object-replicator' })
    expect(s.section).toBe('object-replicator')
    expect(s.conf.interval).toBe('7')
    expect(s.conf.bind_port).toBe('6200')
  })

  it('log_name wins over the section name', () => {
    const s = loadServerConf(
      conf(`${PIPELINE.replace('[DEFAULT]', '[DEFAULT]\nlog_name = obj-7')}`),
    )
    expect(s.logName).toBe('obj-7')
  })

  it('its config feeds the pipeline loader: withDefaults adds globals, the files still win', () => {
    const text = `${PIPELINE}\n[filter:named]\nname = %(log_name)s\n`
    const s = loadServerConf(conf(text), { section: 'object-server' })
    const withName = s.config.withDefaults({ log_name: 'obj', bind_port: '1' })
    expect(withName.section('filter:named')).toMatchObject({ name: 'obj', bind_port: '6200' })
    expect(() => s.config.section('filter:named')).toThrow(/log_name/)
  })

  it('a missing section is a ConfigError naming file and section', () => {
    const file = conf(PIPELINE)
    expect(() => loadServerConf(file, { section: 'proxy-server' })).toThrowError(
      expect.objectContaining({
        name: 'ConfigError',
        code: 'E_CONFIG_NO_SECTION',
        message: expect.stringContaining(`${file} [app:proxy-server]`),
      }),
    )
  })
})
