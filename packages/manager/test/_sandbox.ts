import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'
import { Manager, type ManagerOptions } from '../src/index.js'

/** The fixture server, installed under swift's binary names by {@link Sandbox.install}. */
export const FIXTURE = fileURLToPath(new URL('./fixtures/server.mjs', import.meta.url))

export interface FixtureEvent {
  name: string
  pid: number
  conf: string
  event: string
  port?: number
  argv?: string[]
}

/** A conf dir, run dir and bin dir in one temp dir, cleaned up (processes first) when the test ends. */
export class Sandbox {
  readonly root: string
  readonly etc: string
  readonly run: string
  readonly bin: string
  readonly events: string
  readonly lines: string[] = []

  constructor() {
    this.root = mkdtempSync(join(tmpdir(), 'forklift-mgr-'))
    this.etc = join(this.root, 'etc')
    this.run = join(this.root, 'run')
    this.bin = join(this.root, 'bin')
    this.events = join(this.root, 'events.jsonl')
    for (const d of [this.etc, this.bin]) mkdirSync(d)
    onTestFinished(() => this.cleanup())
  }

  /**
   * Installs the fixture as `swift-<server>` for each server. A copy whose
   * shebang names this Node binary: under pnpm the first `node` on PATH is a
   * shell shim that runs node as its child instead of exec'ing it, so the
   * pid swift-init records would be the shim's.
   */
  install(...servers: string[]): this {
    const text = readFileSync(FIXTURE, 'utf8').replace(/^#!.*\n/, `#!${process.execPath}\n`)
    for (const s of servers) writeFileSync(join(this.bin, `swift-${s}`), text, { mode: 0o755 })
    return this
  }

  /** Writes a conf file (relative to etc) for the fixture, with extra `key = value` lines. */
  conf(rel: string, extra: Record<string, string | number> = {}): string {
    const path = join(this.etc, rel)
    mkdirSync(dirname(path), { recursive: true })
    const lines = ['[DEFAULT]', 'bind_port = 0', `events = ${this.events}`]
    for (const [k, v] of Object.entries(extra)) lines.push(`${k} = ${v}`)
    writeFileSync(path, `${lines.join('\n')}\n`)
    return path
  }

  /** A manager on this sandbox that prints into {@link lines}. */
  manager(names: string[], options: ManagerOptions = {}): Manager {
    return new Manager(names, {
      confDir: this.etc,
      runDir: this.run,
      // Only our fixtures: the machine may have Debian's swift-* binaries on PATH.
      searchPath: [this.bin],
      raiseLimits: () => [],
      stdout: { write: (s: string) => this.lines.push(s) },
      ...options,
    })
  }

  /** Everything printed so far, then forgets it. */
  take(): string {
    const text = this.lines.join('')
    this.lines.length = 0
    return text
  }

  eventList(): FixtureEvent[] {
    if (!existsSync(this.events)) return []
    return readFileSync(this.events, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as FixtureEvent)
  }

  /** Polls the events file until `pred` holds for some event (deadline in ms). */
  async waitForEvent(pred: (e: FixtureEvent) => boolean, ms = 20_000): Promise<FixtureEvent> {
    const deadline = Date.now() + ms
    for (;;) {
      const hit = this.eventList().find(pred)
      if (hit) return hit
      if (Date.now() > deadline) throw new Error(`no such event within ${ms} ms`)
      await new Promise((r) => setTimeout(r, 25))
    }
  }

  pidFile(rel: string): string {
    return join(this.run, rel)
  }

  readPid(rel: string): number {
    return Number(readFileSync(this.pidFile(rel), 'utf8').trim())
  }

  cleanup(): void {
    // Every fixture that ever started, and its process group (children too).
    for (const e of this.eventList()) {
      // Only our own fixtures: a pid may have been reused since.
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

/** Is the process alive (and not a zombie)? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** Polls until `pid` is gone. */
export async function waitGone(pid: number, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} still alive after ${ms} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
