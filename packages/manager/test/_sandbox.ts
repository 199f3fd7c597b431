import { fileURLToPath } from 'node:url'
import { FixtureSite } from '@forklift/test-utils'
import { Manager, type ManagerOptions } from '../src/index.js'

/** The fixture server, installed under swift's binary names by `Sandbox.install`. */
export const FIXTURE = fileURLToPath(new URL('./fixtures/server.mjs', import.meta.url))

/** What the fixture server logs: every event names its server and conf. */
export interface FixtureEvent {
  name: string
  pid: number
  conf: string
  event: string
  port?: number
  argv?: string[]
}

/** A {@link FixtureSite} of the fixture server, with a manager on it that prints into {@link lines}. */
export class Sandbox extends FixtureSite<FixtureEvent> {
  readonly lines: string[] = []

  constructor() {
    super(FIXTURE, 'forklift-mgr-')
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
}
