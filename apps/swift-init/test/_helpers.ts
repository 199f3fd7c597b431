import { type ChildProcess, spawn } from 'node:child_process'
import { userInfo } from 'node:os'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { collectOutput, FixtureSite, killOnFinish } from '@forklift/test-utils'

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

/** The manager's {@link FixtureSite} with swift-init to run on it. */
export class Site extends FixtureSite {
  constructor() {
    super(FIXTURE, 'forklift-si-')
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
}

/** Waits for a child to exit, with what it printed. */
export async function collect(child: ChildProcess): Promise<Run> {
  const output = collectOutput(child)
  const { code, signal } = await output.closed
  const stdout = output.stdout()
  return {
    code,
    signal,
    stdout: stdout.replace(LIMIT_WARNING, ''),
    rawStdout: stdout,
    stderr: output.stderr(),
  }
}

/**
 * A conf for Debian's Python `swift-object-server`: one worker on
 * 127.0.0.1:`port`, a healthcheck, `devices` without mount checks, swift.conf
 * read from `swiftDir`, running as the current user.
 */
export function pythonObjectServerConf(port: number, devices: string, swiftDir: string): string {
  return `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${port}
devices = ${devices}
mount_check = false
swift_dir = ${swiftDir}
user = ${userInfo().username}
workers = 1

[pipeline:main]
pipeline = healthcheck object-server

[app:object-server]
use = egg:swift#object

[filter:healthcheck]
use = egg:swift#healthcheck
`
}
