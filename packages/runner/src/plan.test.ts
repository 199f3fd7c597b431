import { tempFiles } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { planWsgi } from './plan.js'

function conf(text: string): string {
  return tempFiles().write('server.conf', text)
}

// An object server as Swift ships it, with an app-level `set` that wins.
const SERVER = `[DEFAULT]
bind_port = 6200
workers = 3

[pipeline:main]
pipeline = object-server

[app:object-server]
use = forklift#hello
set workers = 5
`

describe('planWsgi', () => {
  it('derives workers, limits and the stale worker timeout', () => {
    const file = conf(
      SERVER.replace(
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

  it("reads Swift's connection options and the worker health keys, off by default", () => {
    const defaults = planWsgi(conf(SERVER), { section: 'object-server' })
    expect(defaults).toMatchObject({
      keepaliveTimeoutSec: 60,
      requireProxyProtocol: false,
      workerTimeoutSec: 0,
      maxRequests: 0,
      maxRequestsJitter: 0,
      maxWorkerRssMib: 0,
    })
    const file = conf(
      SERVER.replace(
        'workers = 3',
        [
          'workers = 3',
          'client_timeout = 30',
          'keepalive_timeout = 75',
          'require_proxy_protocol = yes',
          'worker_timeout = 20',
          'max_requests = 1000',
          'max_requests_jitter = 50',
          'max_worker_rss = 512',
        ].join('\n'),
      ),
    )
    expect(planWsgi(file, { section: 'object-server' })).toMatchObject({
      clientTimeoutSec: 30,
      keepaliveTimeoutSec: 75,
      requireProxyProtocol: true,
      workerTimeoutSec: 20,
      maxRequests: 1000,
      maxRequestsJitter: 50,
      maxWorkerRssMib: 512,
    })
  })

  it('an empty user keeps the current one', () => {
    const plan = planWsgi(conf(SERVER.replace('workers = 3', 'workers = 3\nuser =')))
    expect(plan.user).toBeUndefined()
  })

  it.each([
    ['workers = -1', 'workers'],
    ['workers = lots', 'workers'],
    ['max_clients = 0', 'max_clients'],
    ['client_timeout = soon', 'client_timeout'],
    ['stale_worker_timeout = x', 'stale_worker_timeout'],
  ])('%s is an error naming the key', (line, key) => {
    const file = conf(SERVER.replace('set workers = 5', '').replace('workers = 3', line))
    expect(() => planWsgi(file)).toThrowError(
      expect.objectContaining({ message: expect.stringContaining(key) }),
    )
  })
})
