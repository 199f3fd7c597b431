import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { installNodeScript, killOwned, readJsonLines, tempDir, waitFor } from '@forklift/test-utils'
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
    // Removed last: cleanup hooks run newest first, so the kill below comes before.
    this.root = tempDir('forklift-mgr-')
    this.etc = join(this.root, 'etc')
    this.run = join(this.root, 'run')
    this.bin = join(this.root, 'bin')
    this.events = join(this.root, 'events.jsonl')
    for (const d of [this.etc, this.bin]) mkdirSync(d)
    // Every fixture that ever started, and its process group (children too).
    onTestFinished(() =>
      killOwned(
        this.eventList().map((e) => e.pid),
        this.root,
      ),
    )
  }

  /** Installs the fixture as `swift-<server>` for each server (shebang on this Node). */
  install(...servers: string[]): this {
    for (const s of servers) installNodeScript(FIXTURE, join(this.bin, `swift-${s}`))
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
    return readJsonLines<FixtureEvent>(this.events)
  }

  /** Polls the events file until `pred` holds for some event (deadline in ms). */
  waitForEvent(pred: (e: FixtureEvent) => boolean, ms = 20_000): Promise<FixtureEvent> {
    return waitFor(() => this.eventList().find(pred), 'such an event', ms, 25)
  }

  pidFile(rel: string): string {
    return join(this.run, rel)
  }

  readPid(rel: string): number {
    return Number(readFileSync(this.pidFile(rel), 'utf8').trim())
  }
}
