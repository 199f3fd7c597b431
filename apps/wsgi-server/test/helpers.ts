import type { ChildProcess } from 'node:child_process'
import { readlinkSync, writeFileSync } from 'node:fs'
import { type Agent, request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { join, resolve } from 'node:path'
import {
  type BoundPort,
  boundSocket,
  type Exit,
  spawnCollect,
  type Truthy,
  waitFor as waitUntil,
} from '@forklift/test-utils'

export const BIN_DIR = resolve(import.meta.dirname, '../bin')
export const REPO = resolve(import.meta.dirname, '../../..')

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

/** True while `pid` lives with its stdout pointed at /dev/null. */
function stdoutOnDevNull(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/fd/1`) === '/dev/null'
  } catch {
    return false
  }
}

/**
 * What systemd's socket activation does before it execs a server: LISTEN_FDS=1
 * and LISTEN_PID naming the server's pid (`exec` keeps the shell's), with
 * the socket at fd 3.
 */
function systemdSocket(): string[] {
  return ['sh', '-c', 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"', process.execPath]
}

/**
 * A port for a server under test, held by the test (port 0: no other
 * process gets it) and handed to the server as systemd's socket activation
 * does: give it to startBin/startReady. The conf's bind_port names it too.
 */
export function serverSocket(host = '127.0.0.1'): BoundPort {
  return boundSocket(host)
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
  /** A socket to serve on instead of binding: handed over as systemd does (LISTEN_FDS, fd 3). */
  socket?: BoundPort,
): Proc {
  const run = wrapper.length ? wrapper : socket ? systemdSocket() : [process.execPath]
  const [cmd, ...pre] = run
  const p = spawnCollect(cmd!, [...pre, join(BIN_DIR, bin), ...args], {
    detached: true,
    env: { ...process.env, NOTIFY_SOCKET: '', ...env },
    ...(socket ? { stdio: ['ignore', 'pipe', 'pipe', socket.fd] } : {}),
  })
  const { child, exited } = p
  const pid = child.pid!
  const stdoutClosed = new Promise<void>((r) => child.stdout!.once('close', () => r()))
  return {
    child,
    pid,
    stdout: p.stdout,
    stderr: p.stderr,
    stdoutClosed,
    exited,
    ready: (timeoutMs = 20_000) =>
      Promise.race([
        stdoutClosed.then(async () => {
          // stdout also closes when the process dies: a server that closed it
          // on purpose (capture_stdio) lives on with fd 1 on /dev/null (once
          // its close-then-open is done).
          const gone = () => child.exitCode !== null || child.signalCode !== null
          await waitUntil(() => stdoutOnDevNull(pid) || gone(), 'fd 1 on /dev/null', timeoutMs, 5)
          if (gone()) {
            throw new Error(`server exited before ready: ${p.stderr() || p.stdout()}`)
          }
        }),
        exited.then((e) => {
          throw new Error(
            `server exited (${e.code ?? e.signal}) before ready:\n${p.stderr()}${p.stdout()}`,
          )
        }),
        new Promise<never>((_, j) =>
          setTimeout(
            () => j(new Error(`not ready after ${timeoutMs} ms:\n${p.stderr()}${p.stdout()}`)),
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

/** test-utils' waitFor with this suite's default deadline, 15 s. */
export function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 15_000,
): Promise<Truthy<T>> {
  return waitUntil(check, what, timeoutMs)
}
