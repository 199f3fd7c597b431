import { type ChildProcess, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openRegistry, type Registry } from '@forklift/registry'
import { createMysqlTestDatabase, createPgTestSchema } from '@forklift/registry/testing'
import { type Exit, spawnCollect } from '@forklift/test-utils'
import { onTestFinished } from 'vitest'

export const BIN = join(import.meta.dirname, '..', 'bin', 'forklift-volume.mjs')
export const MANAGE_BIN = join(import.meta.dirname, '..', 'bin', 'forklift-volume-manage.mjs')
export const FIXTURES = join(import.meta.dirname, 'fixtures')

/** Writes a config file; `[DEFAULT]` gets fast intervals unless the text sets them. */
export function writeConfig(dir: string, text: string, name = 'volume.conf'): string {
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}

export interface Launched {
  child: ChildProcess
  /** Parsed JSON log lines from stderr, plus plain lines as { text }. */
  lines: Array<Record<string, unknown>>
  stdout(): string
  exited: Promise<Exit>
}

/**
 * Starts forklift-volume in its own process group; cleanup SIGKILLs the whole
 * group (spawnCollect's `detached`), so no worker outlives a failed test.
 */
export function startVolume(args: string[], env: NodeJS.ProcessEnv = {}): Launched {
  const p = spawnCollect(process.execPath, [BIN, ...args], {
    detached: true,
    env: { ...process.env, ...env },
  })
  const { child } = p
  const lines: Array<Record<string, unknown>> = []
  let buf = ''
  child.stderr!.on('data', (d) => {
    buf += d
    let i = buf.indexOf('\n')
    while (i >= 0) {
      const line = buf.slice(0, i)
      buf = buf.slice(i + 1)
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>)
      } catch {
        lines.push({ text: line })
      }
      i = buf.indexOf('\n')
    }
  })
  onTestFinished((ctx) => {
    if (ctx.task.result?.state === 'fail') {
      // What the launcher said is the first thing to read when a test fails.
      console.error(
        `forklift-volume ${args.join(' ')} (pid ${child.pid}) said:\n${lines
          .slice(-40)
          .map((l) => (l.text as string | undefined) ?? JSON.stringify(l))
          .join('\n')}`,
      )
    }
  })
  return { child, lines, stdout: p.stdout, exited: p.exited }
}

/** The pid of the worker that logged `Starting forklift-volume node <host>` last. */
export function workerPid(l: Launched, host: string): number | undefined {
  const hits = l.lines.filter((x) => x.msg === `Starting forklift-volume node ${host}`)
  return hits.at(-1)?.pid as number | undefined
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export function registry(url: string): Registry {
  const r = openRegistry(url)
  onTestFinished(() => r.close())
  return r
}

/** Runs forklift-volume-manage to completion. */
export function manage(args: string[]) {
  return spawnSync(process.execPath, [MANAGE_BIN, ...args], { encoding: 'utf8', timeout: 30_000 })
}

/** A fresh PostgreSQL schema for this test (dropped after it), selected through the URL. */
export async function pgSchemaUrl(base: string): Promise<string> {
  const { url, drop } = await createPgTestSchema(base, 'fl_vol')
  onTestFinished(drop)
  return url
}

/** A fresh MariaDB database for this test (dropped after it). */
export async function mysqlDatabaseUrl(base: string): Promise<string> {
  const { url, drop } = await createMysqlTestDatabase(base, 'fl_vol')
  onTestFinished(drop)
  return url
}

/** forklift-volume-manage's JSON listing of `what` (service or cluster). */
export function listJson<T = Record<string, unknown>>(
  args: string[],
  what: 'service' | 'cluster' = 'service',
): T[] {
  const r = manage([...args, what, 'list', '--json'])
  if (r.status !== 0) throw new Error(`${what} list failed (${r.status}): ${r.stderr}`)
  return JSON.parse(r.stdout) as T[]
}

/** The log lines (parsed JSON) whose message is `msg` and that concern `host`. */
export function linesAbout(l: Launched, msg: string | RegExp, host?: string) {
  return l.lines.filter(
    (x) =>
      (typeof msg === 'string' ? x.msg === msg : msg.test(String(x.msg))) &&
      (host === undefined || x.host === host),
  )
}

/** Runs forklift-volume to completion (for --help and usage errors). */
export function volumeSync(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 })
}

/** A forklift-volume config in `dir` with fast intervals; the SQLite registry beside it unless `connection`. */
export function volumeConf(
  dir: string,
  opts: {
    defaults?: string
    sections?: string
    connection?: string
    host?: string
    reportInterval?: string
    serviceDownTime?: string
  },
) {
  const connection = opts.connection ?? `sqlite:///${join(dir, 'registry.sqlite')}`
  return writeConfig(
    dir,
    `[DEFAULT]
host = ${opts.host ?? 'node1'}
state_path = ${dir}
report_interval = ${opts.reportInterval ?? '0.2'}
periodic_interval = 0.5
periodic_fuzzy_delay = 0
service_down_time = ${opts.serviceDownTime ?? '1'}
graceful_shutdown_timeout = 10
${opts.defaults ?? ''}

[database]
connection = ${connection}

${opts.sections ?? ''}
`,
  )
}
