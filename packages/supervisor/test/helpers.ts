// Shared test helpers: processes that clean up after themselves, deadlines instead of sleeps.
import type { ChildProcess, SpawnOptions } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type Exit, spawnCollect, type Truthy, waitFor } from '@forklift/test-utils'

/** Absolute path of a fixture. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
}

/** test-utils' waitFor with this suite's defaults (10 s, every 10 ms) and options as an object. */
export function waitUntil<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 10, what = 'condition' } = {},
): Promise<Truthy<T>> {
  return waitFor(check, what, timeoutMs, intervalMs)
}

/** A node process on a fixture whose stdout lines are collected; killed when the test finishes. */
export interface Proc {
  child: ChildProcess
  lines: string[]
  stderr: string[]
  /** Resolves with the first stdout line (seen or to come) matching `re` (or the predicate). */
  line(re: RegExp | ((line: string) => boolean), timeoutMs?: number): Promise<string>
  /** Resolves with the first stderr/log line matching `re`. */
  logLine(re: RegExp, timeoutMs?: number): Promise<string>
  exited: Promise<Exit>
}

/** Spawns `node <fixture> ...args`; SIGKILLs it (and its group when detached) when the test finishes. */
export function startNode(file: string, args: string[] = [], options: SpawnOptions = {}): Proc {
  const { child, exited } = spawnCollect(process.execPath, [file, ...args], options)
  const lines: string[] = []
  const stderr: string[] = []
  const waiters = new Set<() => void>()
  const collect = (stream: NodeJS.ReadableStream | null, into: string[]) => {
    let buf = ''
    stream?.setEncoding('utf8')
    stream?.on('data', (chunk: string) => {
      buf += chunk
      let nl = buf.indexOf('\n')
      while (nl >= 0) {
        // Lines through a pty end in \r\n.
        into.push(buf.slice(0, nl).replace(/\r$/, ''))
        buf = buf.slice(nl + 1)
        nl = buf.indexOf('\n')
      }
      for (const w of waiters) w()
    })
  }
  collect(child.stdout, lines)
  collect(child.stderr, stderr)
  // Lines may still arrive after 'exit'; only 'close' (stdio drained) ends the wait for them.
  let closed = false
  child.once('close', () => {
    closed = true
    for (const w of waiters) w()
  })
  const waitLine = (into: string[], re: RegExp | ((line: string) => boolean), timeoutMs = 15_000) =>
    new Promise<string>((resolve, reject) => {
      let i = 0
      const check = () => {
        for (; i < into.length; i++) {
          if (typeof re === 'function' ? re(into[i]!) : re.test(into[i]!)) {
            done()
            resolve(into[i]!)
            return
          }
        }
        if (closed) {
          done()
          reject(
            new Error(
              `process exited (${child.exitCode ?? child.signalCode}) before a line matching ${re}; stdout: ${lines.join('\n')}\nstderr: ${stderr.join('\n')}`,
            ),
          )
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(
          new Error(
            `no line matching ${re} within ${timeoutMs} ms; stdout: ${lines.join('\n')}\nstderr: ${stderr.join('\n')}`,
          ),
        )
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        waiters.delete(check)
      }
      waiters.add(check)
      check()
    })
  return {
    child,
    lines,
    stderr,
    exited,
    line: (re, t) => waitLine(lines, re, t),
    logLine: (re, t) => waitLine(stderr, re, t),
  }
}

/** Resolves true when a TCP connection to 127.0.0.1:`port` is accepted, false when refused. */
export async function accepts(port: number): Promise<boolean> {
  const { connect } = await import('node:net')
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** Voluntary context switches of every thread of `pid` so far: each one a wake-up after blocking. */
export function wakeups(pid: number): number {
  let n = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8')
    n += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0)
  }
  return n
}

/** Wake-ups of `pid` during a measurement window of `ms` (a window, not a wait for something). */
export async function wakeupsDuring(pid: number, ms: number): Promise<number> {
  const before = wakeups(pid)
  await new Promise((r) => setTimeout(r, ms))
  return wakeups(pid) - before
}
