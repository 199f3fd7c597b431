import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { type Agent, request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { onTestFinished } from 'vitest'

export const BIN_DIR = resolve(import.meta.dirname, '../bin')
export const REPO = resolve(import.meta.dirname, '../../..')

/** A temp dir removed when the test finishes. */
export function tempDir(prefix = 'fl-wsgi-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5 }))
  return dir
}

/** A port that was free a moment ago (the server binds it from its config). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r, j) => srv.once('error', j).listen(0, host, () => r()))
  const { port } = srv.address() as { port: number }
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

/** Writes a server config with a healthcheck + hello pipeline; `extra` lines go under [DEFAULT]. */
export function writeConf(
  dir: string,
  opts: { port: number; extra?: string; message?: string; name?: string; app?: string },
): string {
  const name = opts.name ?? 'object-server'
  const file = join(dir, `${name}.conf`)
  writeFileSync(
    file,
    [
      '[DEFAULT]',
      'bind_ip = 127.0.0.1',
      `bind_port = ${opts.port}`,
      'user =',
      opts.extra ?? '',
      '',
      '[pipeline:main]',
      `pipeline = healthcheck ${name}`,
      '',
      '[filter:healthcheck]',
      'use = forklift#healthcheck',
      '',
      `[app:${name}]`,
      `use = ${opts.app ?? 'forklift#hello'}`,
      `message = ${opts.message ?? 'hello'}`,
      '',
    ].join('\n'),
  )
  return file
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A server process under test. */
export interface Proc {
  child: ChildProcess
  pid: number
  stdout(): string
  stderr(): string
  /** Resolves when the server closed its stdout (swift-init's readiness signal). */
  stdoutClosed: Promise<void>
  exited: Promise<Exit>
  /** Resolves when stdout closed; rejects if the process exits first. */
  ready(timeoutMs?: number): Promise<void>
}

/**
 * Starts one of our binaries, in its own session (as swift-init does), with
 * stdout and stderr on separate pipes. Killed with its whole process group
 * when the test finishes.
 */
export function startBin(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  /** A command to run the server under (it must exec `node` with the rest); default none. */
  wrapper: string[] = [],
): Proc {
  const [cmd, ...pre] = wrapper.length ? wrapper : [process.execPath]
  const child = spawn(cmd!, [...(wrapper.length ? pre : []), join(BIN_DIR, bin), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, NOTIFY_SOCKET: '', ...env },
  })
  const pid = child.pid!
  onTestFinished(() => {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      // already gone
    }
  })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d) => {
    out += d
  })
  child.stderr!.on('data', (d) => {
    err += d
  })
  const stdoutClosed = new Promise<void>((r) => child.stdout!.once('close', () => r()))
  const exited = new Promise<Exit>((r) => child.once('exit', (code, signal) => r({ code, signal })))
  return {
    child,
    pid,
    stdout: () => out,
    stderr: () => err,
    stdoutClosed,
    exited,
    ready: (timeoutMs = 20_000) =>
      Promise.race([
        stdoutClosed.then(async () => {
          // stdout also closes when the process dies: tell the two apart.
          await new Promise((r) => setTimeout(r, 0))
          if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`server exited before ready: ${err || out}`)
          }
        }),
        exited.then((e) => {
          throw new Error(`server exited (${e.code ?? e.signal}) before ready:\n${err}${out}`)
        }),
        new Promise<never>((_, j) =>
          setTimeout(
            () => j(new Error(`not ready after ${timeoutMs} ms:\n${err}${out}`)),
            timeoutMs,
          ).unref(),
        ),
      ]),
  }
}

/** Runs one of our binaries to completion. */
export async function runBin(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<Exit & { stdout: string; stderr: string }> {
  const p = startBin(bin, args, env)
  const e = await p.exited
  await p.stdoutClosed
  return { ...e, stdout: p.stdout(), stderr: p.stderr() }
}

export interface Reply {
  status: number
  body: string
  headers: Record<string, string | string[] | undefined>
}

/** One HTTP(S) GET on a new connection (or through `agent`). */
export function get(
  url: string,
  opts: {
    agent?: Agent | false
    timeoutMs?: number
    ca?: string
    rejectUnauthorized?: boolean
  } = {},
): Promise<Reply> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest
  return new Promise((resolvePromise, reject) => {
    const req = request(
      url,
      {
        agent: opts.agent ?? false,
        ...(opts.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d) => {
          body += d
        })
        res.on('end', () =>
          resolvePromise({ status: res.statusCode ?? 0, body, headers: res.headers }),
        )
        res.on('error', reject)
      },
    )
    req.setTimeout(opts.timeoutMs ?? 15_000, () => req.destroy(new Error(`timeout: ${url}`)))
    req.on('error', reject)
    req.end()
  })
}

export const SLOW_APP = `${join(import.meta.dirname, 'fixtures/slow.mjs')}#app`

/**
 * A GET of the slow fixture app (`GET /slow?ms=N`): `started` resolves once
 * the first line arrived — the request is then surely in flight in a worker —
 * and `done` with the whole reply (or the error that cut it).
 */
export function slowGet(
  port: number,
  ms: number,
): { started: Promise<void>; done: Promise<Reply | Error> } {
  let onStarted: () => void = () => {}
  const started = new Promise<void>((r) => {
    onStarted = r
  })
  const done = new Promise<Reply | Error>((resolvePromise) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: `/slow?ms=${ms}`, agent: false },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d) => {
          body += d
          onStarted()
        })
        res.on('end', () =>
          resolvePromise({ status: res.statusCode ?? 0, body, headers: res.headers }),
        )
        res.on('error', resolvePromise)
      },
    )
    req.setTimeout(120_000, () => req.destroy(new Error('timeout')))
    req.on('error', resolvePromise)
    req.end()
  })
  return { started, done }
}

/** Polls `check` until it returns a truthy value, or throws after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v) return v as NonNullable<T>
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    }
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

/** Pids whose parent is `pid`, read from /proc. */
export function childPids(pid: number): number[] {
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // the comm field may hold spaces and parens: the ppid follows the last ')'
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[1]) === pid) out.push(Number(entry))
    } catch {
      // raced with an exit
    }
  }
  return out
}

/** True while `pid` exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}
