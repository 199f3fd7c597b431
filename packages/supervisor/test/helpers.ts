// Shared test helpers: processes that clean up after themselves, deadlines instead of sleeps.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'
import { procStatFields } from '../src/_proc-stat.js'

/** Absolute path of a fixture. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
}

/** A temp dir removed when the test finishes. */
export function tempDir(prefix = 'fl-sup-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5 }))
  return dir
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const state = procStatFields(pid)?.[0]
  return state !== undefined && state !== 'Z'
}

/** Kills `pid` with SIGKILL when the test finishes, if still alive. */
export function killOnFinish(pid: number | undefined): void {
  if (pid === undefined) return
  onTestFinished(() => {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  })
}

/** Polls `check` every `intervalMs` until it returns a truthy value, or throws after `timeoutMs`. */
export async function waitUntil<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 10, what = 'condition' } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v) return v as NonNullable<T>
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
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
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Spawns `node <fixture> ...args`; SIGKILLs it (and its group when detached) when the test finishes. */
export function startNode(file: string, args: string[] = [], options: SpawnOptions = {}): Proc {
  const child = spawn(process.execPath, [file, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  })
  onTestFinished(() => {
    if (child.pid === undefined) return
    try {
      if (options.detached) process.kill(-child.pid, 'SIGKILL')
    } catch {}
    try {
      process.kill(child.pid, 'SIGKILL')
    } catch {}
  })
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
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
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
