import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  installNodeScript,
  killOnFinish,
  killOwned,
  readJsonLines,
  tempDir,
  waitFor,
} from '@forklift/test-utils'
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
  // Removed last: cleanup hooks run newest first, so the kill in the constructor comes before.
  readonly root = tempDir('forklift-si-')
  readonly etc = join(this.root, 'etc')
  readonly run = join(this.root, 'run')
  readonly bin = join(this.root, 'bin')
  readonly events = join(this.root, 'events.jsonl')

  constructor() {
    mkdirSync(this.etc)
    mkdirSync(this.bin)
    // Every fixture that ever started (and its group), if the pid is still ours.
    onTestFinished(() =>
      killOwned(
        this.events_().map((e) => e.pid),
        this.root,
      ),
    )
  }

  install(...servers: string[]): this {
    for (const s of servers) installNodeScript(FIXTURE, join(this.bin, `swift-${s}`))
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
    return killOnFinish(
      spawn(process.execPath, [BIN, ...args, ...dirs], {
        env: options.env ?? this.env(),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    )
  }

  events_(): { pid: number; event: string; port?: number; argv?: string[] }[] {
    return readJsonLines(this.events)
  }

  waitForEvent(event: string, ms = 20_000): Promise<{ pid: number; event: string; port?: number }> {
    return waitFor(() => this.events_().find((e) => e.event === event), `a ${event} event`, ms, 25)
  }

  readPid(rel: string): number {
    return Number(readFileSync(join(this.run, rel), 'utf8').trim())
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
