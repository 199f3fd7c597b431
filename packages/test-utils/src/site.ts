import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { onTestFinished } from 'vitest'
import { installNodeScript, readJsonLines } from './files.js'
import { killOwned } from './proc.js'
import { tempDir } from './tmp.js'
import { waitFor } from './wait.js'

/** One line a fixture server appended to {@link FixtureSite.events}. */
export interface FixtureEvent {
  pid: number
  event: string
  name?: string
  conf?: string
  port?: number
  argv?: string[]
}

/**
 * A swift-style tree in one temp dir: `etc` (confs), `run` (pid files, made by
 * whoever needs it), `bin` (a fixture server installed as `swift-<server>`)
 * and `events`, a JSON-lines file the fixtures append `{ pid, event, … }` to.
 * When the test finishes every fixture that logged an event is SIGKILLed with
 * its process group (if its command line still names this tree), then the tree
 * is removed. `E` narrows the events to what the fixture writes.
 */
export class FixtureSite<E extends FixtureEvent = FixtureEvent> {
  readonly fixture: string
  readonly root: string
  readonly etc: string
  readonly run: string
  readonly bin: string
  readonly events: string

  constructor(fixture: string, prefix = 'fl-site-') {
    this.fixture = fixture
    // tempDir's removal was registered first, so it runs after the kill below.
    this.root = tempDir(prefix)
    this.etc = join(this.root, 'etc')
    this.run = join(this.root, 'run')
    this.bin = join(this.root, 'bin')
    this.events = join(this.root, 'events.jsonl')
    mkdirSync(this.etc)
    mkdirSync(this.bin)
    onTestFinished(() =>
      killOwned(
        this.eventList().map((e) => e.pid),
        this.root,
      ),
    )
  }

  /** Installs the fixture as `swift-<server>` in {@link bin} for each server. */
  install(...servers: string[]): this {
    for (const s of servers) installNodeScript(this.fixture, join(this.bin, `swift-${s}`))
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

  /** The events the fixtures logged so far. */
  eventList(): E[] {
    return readJsonLines<E>(this.events)
  }

  /** Polls the events until one has that `event` name or passes `match` (deadline in ms). */
  waitForEvent(match: string | ((e: E) => boolean), ms = 20_000): Promise<E> {
    const pred = typeof match === 'string' ? (e: E) => e.event === match : match
    const what = typeof match === 'string' ? `a ${match} event` : 'such an event'
    return waitFor(() => this.eventList().find(pred), what, ms, 25)
  }

  /** The path of a pid file relative to {@link run}. */
  pidFile(rel: string): string {
    return join(this.run, rel)
  }

  /** The pid in a pid file relative to {@link run}. */
  readPid(rel: string): number {
    return Number(readFileSync(this.pidFile(rel), 'utf8').trim())
  }
}
