/**
 * Seamless reloads that report how they ended: Swift's swift-reload
 * (swift/cli/reload.py) and the waiting half of `swift-init
 * reload-seamless`. The server's outcome arrives on its per-pid
 * notification socket (@forklift/notify/reload), bound here before SIGUSR1
 * is sent, and is only believed when the kernel says the server's own pid
 * sent it.
 */
import { readFileSync, readlinkSync } from 'node:fs'
import { basename } from 'node:path'
import { isForkliftError } from '@forklift/errors'
import type { ReloadResult, ReloadWatch } from '@forklift/notify/reload'
import { readCmdline } from '@forklift/paths'
import type { Writer } from './_util.js'

/** swift-reload's exit statuses: a bad pid (as argparse's 2), a failed reload, a timeout (128 + ETIMEDOUT). */
export const RELOAD_EXIT = Object.freeze({ ok: 0, failed: 1, badPid: 2, timeout: 128 + 110 })

/** The binaries whose managers reload seamlessly and check their config (`--test-config`). */
export const RELOADABLE_SCRIPTS: readonly string[] = Object.freeze([
  'swift-proxy-server',
  'swift-account-server',
  'swift-container-server',
  'swift-object-server',
  'forklift-wsgi-server',
])

/** What /proc says about a process: its argv, session, uids, cwd and executable. */
export interface ProcessInfo {
  cmdline: string[]
  sid: number
  /** Real and effective uid. */
  uids: [number, number]
  cwd: string | undefined
  /** The binary it runs (/proc/<pid>/exe; a replaced one by the path it had). */
  exe: string | undefined
}

/** Reads /proc/<pid>: undefined when it is gone or unreadable. */
export function processInfo(pid: number): ProcessInfo | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    const cmdline = raw.replace(/\0+$/, '').split('\0')
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // After the command name (which may hold spaces and parens): state ppid pgrp session.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const sid = Number(fields[3])
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const uidLine = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status)
    if (!uidLine || !Number.isInteger(sid) || raw.length === 0) return undefined
    const link = (what: string) => {
      try {
        return readlinkSync(`/proc/${pid}/${what}`)
      } catch {
        return undefined
      }
    }
    // An upgraded binary reads "<path> (deleted)": the path now holds the new one.
    const exe = link('exe')?.replace(/ \(deleted\)$/, '')
    return { cmdline, sid, uids: [Number(uidLine[1]), Number(uidLine[2])], cwd: link('cwd'), exe }
  } catch {
    return undefined
  }
}

/** True while `pid` is a live process (not gone, not a zombie). */
export function processAlive(pid: number): boolean {
  const c = readCmdline(pid)
  // null: there, but not ours to read.
  if (c === null || (c !== undefined && c.length > 0)) return true
  if (c === undefined) return false
  // Empty: a zombie, already exiting — or a server in the middle of the
  // execve that upgrades its parent (same pid), which /proc's state tells apart.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state !== 'Z' && state !== 'X' && state !== ''
  } catch {
    return false
  }
}

/** The uids whose datagrams count as the server's: its own, from /proc. */
function serverUids(pid: number): number[] | undefined {
  const info = processInfo(pid)
  return info ? [...new Set(info.uids)] : undefined
}

/**
 * Where a server's program is in its argv: the one argument under a bin/
 * that is not an interpreter, named swift-* or forklift-*; else undefined.
 */
function scriptAt(info: ProcessInfo): number | undefined {
  const found = info.cmdline.flatMap((c, i) =>
    c.includes('/bin/') && !/^(node|nodejs|python[\d.]*|env|sh)$/.test(basename(c)) ? [i] : [],
  )
  if (found.length !== 1) return undefined
  const name = basename(info.cmdline[found[0]!]!)
  return name.startsWith('swift-') || name.startsWith('forklift-') ? found[0] : undefined
}

/** How waiting on one pid went, in swift-init's words. */
export interface WatchedReload {
  pid: number
  result: ReloadResult
}

/**
 * Binds `pid`'s reload socket; call {@link ReloadWatch.wait} after the
 * signal. Throws (E_SYSCALL EADDRINUSE when someone else holds the name).
 */
export function watchReload(Watch: typeof ReloadWatch, pid: number): ReloadWatch {
  return new Watch(pid, serverUids(pid))
}

/**
 * The watch class, loaded on first use: status and stop, which must be
 * quick, never load the datagram socket (nor its native addon).
 */
export async function reloadWatchClass(): Promise<typeof ReloadWatch> {
  return (await import('@forklift/notify/reload')).ReloadWatch
}

/** Waits for the outcome, then unbinds. */
export async function awaitReload(
  watch: ReloadWatch,
  timeoutMs: number,
  onLine?: (line: string) => void,
  quietMs?: number,
): Promise<ReloadResult> {
  try {
    return await watch.wait({
      timeoutMs,
      alive: () => processAlive(watch.pid),
      ...(onLine ? { onLine } : {}),
      ...(quietMs !== undefined ? { quietMs } : {}),
    })
  } finally {
    watch.close()
  }
}

/** Options of {@link reloadPid}. */
export interface ReloadPidOptions {
  /** Seconds to wait for the outcome; default 300, as swift-reload. */
  timeoutSeconds?: number
  /** false: signal and return (`--no-wait`). */
  wait?: boolean
  verbose?: boolean
  /** Where the result lines go (default process.stdout) and the complaints (default process.stderr). */
  stdout?: Writer
  stderr?: Writer
  /** Environment of the `--test-config` run; default process.env. */
  env?: NodeJS.ProcessEnv
}

function errorText(err: unknown): string {
  return isForkliftError(err) || err instanceof Error ? err.message : String(err)
}

/**
 * Checks the config of one server's manager process and reloads it
 * seamlessly, waiting for its word: swift-reload. Resolves with
 * {@link RELOAD_EXIT}'s status.
 */
export async function reloadPid(pid: number, options: ReloadPidOptions = {}): Promise<number> {
  const out = options.stdout ?? process.stdout
  const err = options.stderr ?? process.stderr
  const say = (line: string) => out.write(`${line}\n`)
  const complain = (line: string) => err.write(`${line}\n`)
  const info = processInfo(pid)
  if (!info) {
    complain(`Failed to get process information for ${pid}`)
    return RELOAD_EXIT.badPid
  }
  const at = scriptAt(info)
  const script = at === undefined ? undefined : basename(info.cmdline[at]!)
  if (at === undefined || !script) {
    // Our workers run the worker module, not the server's binary: name
    // their manager when the session leader is one.
    const leader = info.sid !== pid ? processInfo(info.sid) : undefined
    const leaderAt = leader && scriptAt(leader)
    const leaderScript = leaderAt === undefined ? undefined : basename(leader!.cmdline[leaderAt]!)
    if (leaderScript && RELOADABLE_SCRIPTS.includes(leaderScript)) {
      complain(
        `Process appears to be a ${leaderScript} worker, not a manager. Did you mean ${info.sid}?`,
      )
    } else {
      complain(`Non-swift process: ${JSON.stringify(info.cmdline.join(' '))}`)
    }
    return RELOAD_EXIT.badPid
  }
  if (!RELOADABLE_SCRIPTS.includes(script)) {
    complain(`Process does not support config checks: ${script}`)
    return RELOAD_EXIT.badPid
  }
  if (info.sid !== pid) {
    complain(`Process appears to be a ${script} worker, not a manager. Did you mean ${info.sid}?`)
    return RELOAD_EXIT.badPid
  }

  // The config check runs the process's own command line. Only when it runs
  // as we do: a process of another user (one that merely looks like a
  // server) must never get its program run with our privileges.
  if (info.uids[1] === process.geteuid?.()) {
    if (options.verbose) say(`Checking config for ${script}`)
    const ok = await testConfig(info, at, options.env ?? process.env)
    if (!ok) {
      complain('Failed to validate config')
      return RELOAD_EXIT.failed
    }
  } else if (options.verbose) {
    say(`Not checking config: ${script} (${pid}) runs as uid ${info.uids[1]}, not as us`)
  }

  if (options.wait === false) {
    if (options.verbose) say('Sending USR1 signal')
    process.kill(pid, 'SIGUSR1')
    say(`Reloaded ${script}`)
    return RELOAD_EXIT.ok
  }
  let watch: ReloadWatch
  try {
    watch = watchReload(await reloadWatchClass(), pid)
  } catch (e) {
    complain(`Could not bind notification socket: ${errorText(e)}`)
    return RELOAD_EXIT.failed
  }
  if (options.verbose) say('Sending USR1 signal')
  try {
    process.kill(pid, 'SIGUSR1')
  } catch (e) {
    watch.close()
    complain(`Could not signal ${script} (${pid}): ${errorText(e)}`)
    return RELOAD_EXIT.failed
  }
  const onLine = options.verbose
    ? (line: string) => {
        const m = /^(READY|RELOADING|STOPPING)=1$/.exec(line)
        say(m ? `Process is ${m[1]}` : `Received notification ${JSON.stringify(line)}`)
      }
    : undefined
  const result = await awaitReload(watch, (options.timeoutSeconds ?? 300) * 1000, onLine)
  switch (result.state) {
    case 'done':
      say(`Reloaded ${script}`)
      return RELOAD_EXIT.ok
    case 'refused':
      complain(`Reload of ${script} refused: ${result.reason}`)
      return RELOAD_EXIT.failed
    case 'exited':
      complain(`${script} (${pid}) exited while reloading`)
      return RELOAD_EXIT.failed
    case 'timeout':
    case 'silent':
      complain(`Timed out reloading ${script}`)
      return RELOAD_EXIT.timeout
  }
}

// Runs the server's own command line plus --test-config, where it runs and
// on the Node binary it runs (by path: an upgraded Node is the one a reload
// forks), as swift-reload runs `cmd + ['--test-config']`: what a reload
// would load, checked first. Not the script alone: PATH's node may be older.
async function testConfig(info: ProcessInfo, at: number, env: NodeJS.ProcessEnv): Promise<boolean> {
  const { spawn } = process.getBuiltinModule('node:child_process')
  const rest = info.cmdline.slice(at + 1).filter((a) => a !== 'verbose')
  const [file, ...argv] =
    at > 0
      ? [info.exe ?? info.cmdline[0]!, ...info.cmdline.slice(1, at + 1), ...rest]
      : [info.cmdline[0]!, ...rest]
  return new Promise((resolve) => {
    const child = spawn(file!, [...argv, '--test-config'], {
      cwd: info.cwd,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    child.once('error', () => resolve(false))
    child.once('exit', (code) => resolve(code === 0))
  })
}
