import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'

export const APP = fileURLToPath(new URL('..', import.meta.url))
export const BIN = join(APP, 'bin', 'swift-init.mjs')
/** The manager's fixture server (same owner), installed under swift's binary names. */
export const FIXTURE = join(
  APP,
  '..',
  '..',
  'packages',
  'manager',
  'test',
  'fixtures',
  'server.mjs',
)

export interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  /** Standard output without swift-init's resource-limit warnings (see {@link LIMIT_WARNING}). */
  stdout: string
  rawStdout: string
  stderr: string
}

/**
 * swift-init warns when it cannot raise a limit; whether it can depends on
 * the machine (this one caps open files at 20000 even for root), so
 * assertions on output leave these lines out.
 */
export const LIMIT_WARNING =
  /^WARNING: Unable to modify [a-z ]+ limit\. {2}Running as non-root\?\n/gm

/** A conf dir, run dir and bin dir holding fixture servers; processes killed and files removed at the end. */
export class Site {
  readonly root = mkdtempSync(join(tmpdir(), 'forklift-si-'))
  readonly etc = join(this.root, 'etc')
  readonly run = join(this.root, 'run')
  readonly bin = join(this.root, 'bin')
  readonly events = join(this.root, 'events.jsonl')

  constructor() {
    mkdirSync(this.etc)
    mkdirSync(this.bin)
    onTestFinished(() => this.cleanup())
  }

  install(...servers: string[]): this {
    // Shebang on this very Node: pnpm's `node` shim on PATH does not exec.
    const text = readFileSync(FIXTURE, 'utf8').replace(/^#!.*\n/, `#!${process.execPath}\n`)
    for (const s of servers) writeFileSync(join(this.bin, `swift-${s}`), text, { mode: 0o755 })
    return this
  }

  conf(rel: string, extra: Record<string, string | number> = {}): string {
    const path = join(this.etc, rel)
    mkdirSync(dirname(path), { recursive: true })
    const lines = ['[DEFAULT]', 'bind_port = 0', `events = ${this.events}`]
    for (const [k, v] of Object.entries(extra)) lines.push(`${k} = ${v}`)
    writeFileSync(path, `${lines.join('\n')}\n`)
    return path
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...process.env, PATH: `${this.bin}${delimiter}${process.env.PATH}`, ...extra }
  }

  /** swift-init with this site's dirs (unless `bare`), run to completion. */
  swiftInit(
    args: string[],
    options: { bare?: boolean; env?: NodeJS.ProcessEnv } = {},
  ): Promise<Run> {
    return collect(this.spawn(args, options))
  }

  spawn(args: string[], options: { bare?: boolean; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
    const dirs = options.bare ? [] : ['--conf-dir', this.etc, '-r', this.run]
    const child = spawn(process.execPath, [BIN, ...args, ...dirs], {
      env: options.env ?? this.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
    return child
  }

  events_(): { pid: number; event: string; port?: number; argv?: string[] }[] {
    try {
      return readFileSync(this.events, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    } catch {
      return []
    }
  }

  async waitForEvent(
    event: string,
    ms = 20_000,
  ): Promise<{ pid: number; event: string; port?: number }> {
    const deadline = Date.now() + ms
    for (;;) {
      const hit = this.events_().find((e) => e.event === event)
      if (hit) return hit
      if (Date.now() > deadline) throw new Error(`no ${event} event within ${ms} ms`)
      await new Promise((r) => setTimeout(r, 25))
    }
  }

  readPid(rel: string): number {
    return Number(readFileSync(join(this.run, rel), 'utf8').trim())
  }

  cleanup(): void {
    for (const e of this.events_()) {
      let cmdline = ''
      try {
        cmdline = readFileSync(`/proc/${e.pid}/cmdline`, 'utf8')
      } catch {}
      if (!cmdline.includes(this.root)) continue
      for (const target of [-e.pid, e.pid]) {
        try {
          process.kill(target, 'SIGKILL')
        } catch {}
      }
    }
    rmSync(this.root, { recursive: true, force: true, maxRetries: 5 })
  }
}

/** Waits for a child to exit, with what it printed. */
export function collect(child: ChildProcess): Promise<Run> {
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d) => {
    stdout += d
  })
  child.stderr?.on('data', (d) => {
    stderr += d
  })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) =>
      resolve({
        code,
        signal,
        stdout: stdout.replace(LIMIT_WARNING, ''),
        rawStdout: stdout,
        stderr,
      }),
    )
  })
}

/** Is the process alive (not a zombie)? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** A port free on 127.0.0.1 right now (for servers that refuse port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

/** Polls until `pid` is gone (swift-init reports a server stopped once it is exiting). */
export async function waitGone(pid: number, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} still alive after ${ms} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
