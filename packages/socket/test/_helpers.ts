import { type ChildProcess, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { get as httpGet } from 'node:http'
import { get as httpsGet } from 'node:https'
import type { Logger } from '@forklift/log'

export const FIXTURES = new URL('./fixtures/', import.meta.url).pathname

/** One record a {@link captureLogger} received. */
export interface LogRecord {
  level: string
  msg: string
  fields: Record<string, unknown>
}

/**
 * A Logger that records warn/info/debug calls, with a promise per message
 * pattern so tests wait for a log event instead of sleeping.
 */
export function captureLogger(): {
  logger: Logger
  records: LogRecord[]
  waitFor: (re: RegExp) => Promise<LogRecord>
} {
  const records: LogRecord[] = []
  const waiters: { re: RegExp; resolve: (r: LogRecord) => void }[] = []
  const log =
    (level: string) =>
    (a: unknown, b?: unknown): void => {
      const rec: LogRecord =
        typeof a === 'string'
          ? { level, msg: a, fields: {} }
          : { level, msg: String(b ?? ''), fields: a as Record<string, unknown> }
      records.push(rec)
      for (const w of waiters.filter((w) => w.re.test(rec.msg))) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(rec)
      }
    }
  const logger = {
    trace: log('trace'),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    fatal: log('fatal'),
    child() {
      return logger
    },
  } as unknown as Logger
  return {
    logger,
    records,
    waitFor(re) {
      const found = records.find((r) => re.test(r.msg))
      if (found) return Promise.resolve(found)
      return new Promise((resolve) => waiters.push({ re, resolve }))
    },
  }
}

/** Resolves with the first stdout line of `child` matching `re` (rejects if it exits first). */
export function waitForLine(child: ChildProcess, re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = ''
    let err = ''
    const onData = (d: Buffer) => {
      buf += d.toString()
      const lines = buf.split('\n')
      buf = lines.pop() ?? ''
      const hit = lines.find((l) => re.test(l))
      if (hit !== undefined) {
        child.stdout?.off('data', onData)
        child.off('exit', onExit)
        resolve(hit)
      }
    }
    const onErr = (d: Buffer) => {
      err += d.toString()
    }
    const onExit = (code: number | null, sig: string | null) =>
      reject(new Error(`child exited (${code ?? sig}) before printing ${re}: ${err}`))
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onErr)
    child.once('exit', onExit)
  })
}

/** GET over plain HTTP (no keep-alive), resolving with status and body. */
export async function get(
  url: string,
  options: { ca?: string } = {},
): Promise<{ status: number; body: string }> {
  const isHttps = url.startsWith('https:')
  const req = isHttps
    ? httpsGet(url, { agent: false, ...(options.ca ? { ca: options.ca } : {}) })
    : httpGet(url, { agent: false })
  const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage]
  let body = ''
  res.setEncoding('utf8')
  for await (const chunk of res) body += chunk
  return { status: res.statusCode ?? 0, body }
}

/** True when `cmd` runs on this machine. */
export function have(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).error === undefined
}

/** `ss` rows (without header) for a filter, e.g. `state listening '( sport = :80 )'`. */
export function ss(args: string[]): string[] {
  const res = spawnSync('ss', ['-H', '-n', ...args], { encoding: 'utf8' })
  if (res.status !== 0) throw new Error(`ss ${args.join(' ')}: ${res.stderr}`)
  return res.stdout.split('\n').filter((l) => l.trim() !== '')
}
