import { join } from 'node:path'
import { tempFiles } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { planWsgi } from './run-wsgi.js'
import { loadServerConf } from './server-conf.js'

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

describe('planWsgi', () => {
  it('derives workers, limits and the stale worker timeout', () => {
    const file = conf(
      PIPELINE.replace(
        'workers = 3',
        'workers = 3\nmax_clients = 10\nclient_timeout = 2.5\nstale_worker_timeout = 30',
      ),
    )
    const plan = planWsgi(file, { section: 'object-server' })
    expect(plan).toMatchObject({
      workers: 5,
      maxClients: 10,
      clientTimeoutSec: 2.5,
      staleWorkerTimeoutSec: 30,
      user: 'swift',
      bind: { port: 6200, host: '0.0.0.0' },
    })
  })

  it('an empty user keeps the current one', () => {
    const plan = planWsgi(conf(PIPELINE.replace('workers = 3', 'workers = 3\nuser =')))
    expect(plan.user).toBeUndefined()
  })

  it.each([
    ['workers = -1', 'workers'],
    ['workers = lots', 'workers'],
    ['max_clients = 0', 'max_clients'],
    ['client_timeout = soon', 'client_timeout'],
    ['stale_worker_timeout = x', 'stale_worker_timeout'],
  ])('%s is an error naming the key', (line, key) => {
    const file = conf(PIPELINE.replace('set workers = 5', '').replace('workers = 3', line))
    expect(() => planWsgi(file)).toThrowError(
      expect.objectContaining({ message: expect.stringContaining(key) }),
    )
  })
})
