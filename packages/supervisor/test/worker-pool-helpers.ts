// Helpers of the worker-pool tests: a bound-not-listening socket, a pool that
// cleans up after itself, HTTP requests that say which worker answered, and a
// logger that keeps its lines.
import { type Agent, request } from 'node:http'
import type { Logger } from '@forklift/log'
import { type BoundPort, boundSocket } from '@forklift/test-utils'
import { onTestFinished } from 'vitest'
import { WorkerPool, type WorkerPoolOptions } from '../dist/worker-pool.js'
import { fixture } from './helpers.js'

/** A socket bound on 127.0.0.1 (port 0), not listening — what bindHandoffSocket gives; closed at the end. */
export function handoffSocket(): BoundPort {
  return boundSocket()
}

/** A WorkerPool of test/fixtures/pool-worker.mjs, stopped (and its workers SIGKILLed) when the test finishes. */
export function testPool(
  options: Partial<WorkerPoolOptions> & Pick<WorkerPoolOptions, 'socket'>,
): WorkerPool {
  const pool = new WorkerPool({
    module: fixture('pool-worker.mjs'),
    workers: 2,
    execArgv: [],
    stopGraceMs: 2000,
    ...options,
  })
  const pids = new Set<number>()
  pool.on('spawn', (w) => pids.add(w.pid))
  onTestFinished(async () => {
    await pool.stop({ graceMs: 500 }).catch(() => {})
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    }
  })
  return pool
}

/** What the fixture's workers answer. */
export interface Answer {
  status: number
  connection: string | undefined
  body: { pid: number; generation: number; index: number; marker: string }
}

/** One GET; `agent` false = a new connection that closes after the response. */
export function get(port: number, path = '/', agent: Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => {
        text += c
      })
      res.on('end', () => {
        try {
          resolve({
            status: res.statusCode ?? 0,
            connection: res.headers.connection,
            body: JSON.parse(text),
          })
        } catch (err) {
          reject(err)
        }
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** A logger that records `{ level, msg }` of every line (and still prints nothing). */
export function recordingLogger(): { logger: Logger; lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = []
  const make = (bindings: object): Logger => {
    const at =
      (level: string) =>
      (objOrMsg: unknown, msg?: string): void => {
        lines.push({ level, msg: typeof objOrMsg === 'string' ? objOrMsg : (msg ?? '') })
      }
    const logger = {
      level: 'trace',
      trace: at('trace'),
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      fatal: at('fatal'),
      child: (more: object) => make({ ...bindings, ...more }),
      bindings: () => bindings,
      isLevelEnabled: () => true,
    }
    return logger as unknown as Logger
  }
  return { logger: make({}), lines }
}
