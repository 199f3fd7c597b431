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
