import { delimiter, dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ReloadWatch } from '@forklift/notify/reload'
import { ensureRunDir } from '@forklift/paths'
import type { Writer } from './_util.js'
import { ManagerError } from './errors.js'
import { type ServerFamily, SWIFT_FAMILY } from './family.js'
import { awaitReload, reloadWatchClass, watchReload } from './reload.js'
import {
  type CommandOptions,
  type InstanceStatus,
  Server,
  type ServerContext,
  type StartResult,
} from './server.js'

/** Seconds `stop` waits for servers to die by default (`-k`). */
export const KILL_WAIT_SECONDS = 15
const WATCH_INTERVAL_MS = 100
// How long reload-seamless waits for a server's first word before taking it
// for one that does not report (ours and Swift's say RELOADING=1 at once).
const QUIET_MS = 5_000

/** Options of a {@link Manager}. */
export interface ManagerOptions {
  /** The servers, aliases and rules; default Swift's. */
  family?: ServerFamily
  /** Default the family's (`/etc/swift`). */
  confDir?: string
  /** Default the family's (`/var/run/swift`). */
  runDir?: string
  /** Directories searched for server binaries before `PATH`. */
  binDirs?: readonly string[]
  /** The whole binary search path, replacing `binDirs` + `PATH` (tests, sealed installs). */
  searchPath?: readonly string[]
  /** Environment: `PATH` for finding binaries, and what servers inherit. Default `process.env`. */
  env?: NodeJS.ProcessEnv
  /** Where swift-init's lines go. Default `process.stdout`. */
  stdout?: Writer
  /**
   * Raise resource limits before starting (swift's setup_env). Default true,
   * through `raiseResourceLimits()` of `@forklift/privileges`; a function
   * replaces it and returns the warnings to print.
   */
  raiseLimits?: boolean | (() => readonly string[])
}

/** A command's name and what swift-init's usage lists for it. */
export interface CommandInfo {
  name: string
  /** swift-init's words for it (reload-seamless's run onto a second, indented line). */
  help: string
}

type CommandName =
  | 'force-reload'
  | 'kill'
  | 'no-daemon'
  | 'no-wait'
  | 'once'
  | 'reload'
  | 'reload-seamless'
  | 'restart'
  | 'shutdown'
  | 'start'
  | 'status'
  | 'stop'

/** swift-init's commands with their help, sorted as it lists them. */
export const COMMANDS: readonly CommandInfo[] = Object.freeze([
  { name: 'force-reload', help: 'alias for reload' },
  { name: 'kill', help: 'stop a server (no error if not running)' },
  { name: 'no-daemon', help: 'start a server interactively' },
  { name: 'no-wait', help: 'spawn server and return immediately' },
  { name: 'once', help: 'start server and run one pass on supporting daemons' },
  { name: 'reload', help: 'graceful shutdown then restart on supporting servers' },
  {
    name: 'reload-seamless',
    help: 'seamlessly re-exec, then shutdown of old listen sockets on\n           supporting servers',
  },
  { name: 'restart', help: 'stops then restarts server' },
  { name: 'shutdown', help: 'allow current requests to finish on supporting servers' },
  { name: 'start', help: 'starts a server' },
  { name: 'status', help: 'display status of tracked pids for server' },
  { name: 'stop', help: 'stops a server' },
] satisfies { name: CommandName; help: string }[])

/** `no_wait`, `No-Wait` → `no-wait`, when that is a command. */
export function commandName(name: string): CommandName | undefined {
  const n = name.toLowerCase().replaceAll('_', '-')
  return COMMANDS.some((c) => c.name === n) ? (n as CommandName) : undefined
}

function globToRegExp(glob: string): RegExp {
  // swift uses re.match(glob.replace('*', '.*')): anchored at the start only.
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')
  return new RegExp(`^${body}`)
}

/**
 * Runs swift-init's commands on a set of servers: swift's `Manager`.
 * Each command resolves to swift-init's exit status (0 or 1) and prints
 * swift-init's lines to `stdout`.
 */
export class Manager {
  /** The names asked for, aliases and globs expanded (sorted). */
  readonly serverNames: readonly string[]
  /** The servers whose binaries were found, sorted by name. */
  readonly servers: readonly Server[]
  readonly options: ManagerOptions
  readonly #ctx: ServerContext
  readonly #defaultStrict: boolean

  constructor(names: readonly string[], options: ManagerOptions = {}) {
    this.options = options
    const family = options.family ?? SWIFT_FAMILY
    const env = options.env ?? process.env
    this.#ctx = {
      family,
      confDir: options.confDir ?? family.confDir,
      runDir: options.runDir ?? family.runDir,
      searchPath: options.searchPath ?? [
        ...(options.binDirs ?? []),
        ...(env.PATH ?? '').split(delimiter),
      ],
      env,
      out: options.stdout ?? process.stdout,
    }
    const serverNames = new Set<string>()
    let strict = true
    for (const name of names) {
      const alias = Object.hasOwn(family.aliases, name) ? family.aliases[name] : undefined
      if (alias) {
        for (const s of alias) serverNames.add(s)
        strict = false
      } else if (name.includes('*')) {
        const re = globToRegExp(name)
        for (const s of family.servers) if (re.test(s)) serverNames.add(s)
        strict = false
      } else {
        serverNames.add(name)
      }
    }
    this.#defaultStrict = strict
    this.serverNames = [...serverNames].sort()
    const servers = new Map<string, Server>()
    for (const name of this.serverNames) {
      const server = Server.find(name, this.#ctx)
      if (server && !servers.has(server.key)) servers.set(server.key, server)
    }
    this.servers = [...servers.values()].sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
    )
  }

  #print(line: string): void {
    this.#ctx.out.write(`${line}\n`)
  }

  // swift's @command: 1 when no server was found at all, else 0 or 1.
  #result(rv: number): number {
    return this.servers.length === 0 || rv ? 1 : 0
  }

  /** Runs a command by name (`no-wait`, `no_wait`, `Start`…); throws ManagerError E_UNKNOWN_COMMAND. */
  run(command: string, opts: CommandOptions = {}): Promise<number> {
    const name = commandName(command)
    switch (name) {
      case 'status':
        return this.status(opts)
      case 'start':
        return this.start(opts)
      case 'no-wait':
        return this.noWait(opts)
      case 'no-daemon':
        return this.noDaemon(opts)
      case 'once':
        return this.once(opts)
      case 'stop':
        return this.stop(opts)
      case 'kill':
        return this.kill(opts)
      case 'shutdown':
        return this.shutdown(opts)
      case 'restart':
        return this.restart(opts)
      case 'reload':
        return this.reload(opts)
      case 'reload-seamless':
        return this.reloadSeamless(opts)
      case 'force-reload':
        return this.forceReload(opts)
      case undefined:
        throw new ManagerError('E_UNKNOWN_COMMAND', `unknown command, ${command}`)
    }
  }

  /** display status of tracked pids for server */
  async status(opts: CommandOptions = {}): Promise<number> {
    let status = 0
    for (const server of this.servers) status += server.status(opts)
    return this.#result(status)
  }

  /** `status --json`: every instance with its state, changing nothing; status as `status`. */
  statusReport(opts: CommandOptions = {}): { status: number; instances: InstanceStatus[] } {
    const instances: InstanceStatus[] = []
    let status = 0
    for (const server of this.servers) {
      const mine = server.statusReport(opts)
      instances.push(...mine)
      if (!mine.some((i) => i.state === 'running')) status = 1
    }
    return { status: this.#result(status), instances }
  }

  async #setupEnv(): Promise<void> {
    const { raiseLimits = true } = this.options
    if (raiseLimits === false) return
    let warnings: readonly string[]
    if (typeof raiseLimits === 'function') {
      warnings = raiseLimits()
    } else {
      // Loaded here, not at the top: status and stop never need it.
      const { raiseResourceLimits } = await import('@forklift/privileges')
      warnings = raiseResourceLimits().flatMap((r) => (r.ok || !r.warning ? [] : [r.warning]))
    }
    for (const w of warnings) this.#print(w)
  }

  /** starts a server */
  async start(opts: CommandOptions = {}): Promise<number> {
    this.#checkRunDirs(opts)
    await this.#setupEnv()
    const strict = opts.strict ?? this.#defaultStrict
    let status = 0
    for (const server of this.servers) status += server.launch(opts).size ? 0 : 1
    if (!strict) status = 0
    if (opts.daemon === false) {
      status += await this.#interact(opts)
    } else if (opts.wait !== false) {
      const results: StartResult[][] = await Promise.all(this.servers.map((s) => s.wait()))
      for (const { output, status: st } of results.flat()) {
        if (output) this.#print(output)
        status += st
      }
    }
    return this.#result(status)
  }

  // Before anything is spawned, every directory a pid file will go into must
  // exist (or be created) and be safe: a start never stops half-way on it.
  #checkRunDirs(opts: CommandOptions): void {
    const dirs = new Set<string>()
    for (const server of this.servers) {
      for (const conf of server.confFiles({ ...opts, quiet: true })) {
        dirs.add(dirname(server.paths.pidFileFor(conf)))
      }
    }
    for (const dir of [...dirs].sort()) ensureRunDir(this.#ctx.runDir, dir)
  }

  async #interact(opts: CommandOptions): Promise<number> {
    const { signal } = opts
    let onAbort: (() => void) | undefined
    const aborted = new Promise<'abort'>((resolve) => {
      onAbort = () => resolve('abort')
      if (signal?.aborted) resolve('abort')
      else signal?.addEventListener('abort', onAbort, { once: true })
    })
    let status = 0
    try {
      for (const server of this.servers) {
        const r = await Promise.race([server.interact(), aborted])
        if (r === 'abort') {
          this.#print('\nuser quit')
          await this.stop(opts)
          break
        }
        status += r
      }
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort)
    }
    return status
  }

  /** spawn server and return immediately */
  noWait(opts: CommandOptions = {}): Promise<number> {
    return this.start({ ...opts, wait: false })
  }

  /** start a server interactively */
  noDaemon(opts: CommandOptions = {}): Promise<number> {
    return this.start({ ...opts, daemon: false })
  }

  /** start server and run one pass on supporting daemons */
  once(opts: CommandOptions = {}): Promise<number> {
    return this.start({ ...opts, once: true })
  }

  /** stops a server */
  async stop(opts: CommandOptions = {}): Promise<number> {
    return this.#result(await this.#stop(opts))
  }

  async #stop(opts: CommandOptions): Promise<number> {
    const serverPids = new Map<Server, Map<number, string>>()
    for (const server of this.servers) {
      const signaled = server.stop(opts)
      if (signaled.size === 0) this.#print(`No ${server} running`)
      else serverPids.set(server, signaled)
    }
    const signaled = new Set([...serverPids.values()].flatMap((m) => [...m.keys()]))
    const killed = new Set<number>()
    const killWait = opts.killWait ?? KILL_WAIT_SECONDS
    for await (const [server, pid] of watchServerPids(serverPids, killWait, opts)) {
      this.#print(`${server} (${pid}) appears to have stopped`)
      killed.add(pid)
      if (killed.size === signaled.size && [...signaled].every((p) => killed.has(p))) return 0
    }
    for (const [server, pids] of serverPids) {
      const left = [...pids].filter(([pid]) => !killed.has(pid))
      if (left.length === 0) continue
      if (opts.killAfterTimeout) {
        this.#print(`Waited ${killWait} seconds for ${server} to die; killing`)
        for (const [pid, pidFile] of left) server.killGroup(pid, pidFile, opts.verbose)
      } else {
        this.#print(`Waited ${killWait} seconds for ${server} to die; giving up`)
      }
    }
    return 1
  }

  /** stop a server (no error if not running) */
  async kill(opts: CommandOptions = {}): Promise<number> {
    const status = await this.stop(opts)
    if (status && !(await this.status({ ...opts, quiet: true }))) {
      // Only an error when the server is still running.
      return this.#result(status)
    }
    return this.#result(0)
  }

  /** allow current requests to finish on supporting servers */
  shutdown(opts: CommandOptions = {}): Promise<number> {
    return this.stop({ ...opts, graceful: true })
  }

  /** stops then restarts server */
  async restart(opts: CommandOptions = {}): Promise<number> {
    let status = await this.stop(opts)
    status += await this.start(opts)
    return this.#result(status)
  }

  /** graceful shutdown then restart on supporting servers */
  async reload(opts: CommandOptions = {}): Promise<number> {
    const graceful = { ...opts, graceful: true }
    let status = 0
    // As swift: one server name at a time, each stopped then started on its own.
    for (const name of this.serverNames) {
      const m = new Manager([name], this.options)
      status += await m.stop(graceful)
      status += await m.start(graceful)
    }
    return this.#result(status)
  }

  /**
   * seamlessly re-exec, then shutdown of old listen sockets on supporting
   * servers. Unlike swift-init, waits (up to `killWait` seconds; not with
   * `wait: false`) until each server says the reload is done or refused on
   * its notification socket, and counts a refusal, a timeout or an exit as a
   * failure, printing why.
   */
  async reloadSeamless(opts: CommandOptions = {}): Promise<number> {
    const seamless = { ...opts, graceful: false, seamless: true }
    const timeoutMs = (opts.killWait ?? KILL_WAIT_SECONDS) * 1000
    let status = 0
    const waits: Promise<number>[] = []
    const Watch = opts.wait === false ? undefined : await reloadWatchClass()
    for (const server of this.servers) {
      const watches = new Map<number, ReloadWatch>()
      let unwatched = 0
      const before = (pid: number, sig: NodeJS.Signals | 0): boolean => {
        if (sig !== 'SIGUSR1' || !Watch) return true
        try {
          watches.set(pid, watchReload(Watch, pid))
          return true
        } catch (err) {
          // Someone holds the pid's name: what arrives there cannot be ours to read.
          this.#print(
            `Could not bind the notification socket of ${server} (${pid}): ${(err as Error).message}; not signalled`,
          )
          unwatched += 1
          return false
        }
      }
      const signalled = server.stop(seamless, before)
      if (signalled.size === 0 && unwatched === 0) {
        this.#print(`No ${server} running`)
        status += 1
      }
      status += unwatched
      for (const [pid, watch] of watches) {
        if (!signalled.has(pid)) {
          watch.close()
          continue
        }
        waits.push(this.#reported(server, watch, timeoutMs, opts.verbose === true))
      }
    }
    for (const st of await Promise.all(waits)) status += st
    return this.#result(status)
  }

  async #reported(
    server: Server,
    watch: ReloadWatch,
    timeoutMs: number,
    verbose: boolean,
  ): Promise<number> {
    // A server that says nothing at all does not speak the protocol (Swift's
    // before 2.35, Debian's 2.30.1): signalled, as swift-init, and told.
    const quietMs = Math.min(timeoutMs, QUIET_MS)
    const result = await awaitReload(watch, timeoutMs, undefined, quietMs)
    const who = `${server} (${watch.pid})`
    switch (result.state) {
      case 'done':
        // Silent, as swift-init: only -v says more.
        if (verbose) this.#print(`${who} reloaded${result.status ? `: ${result.status}` : ''}`)
        return 0
      case 'refused':
        this.#print(`${who} refused the reload: ${result.reason}`)
        return 1
      case 'exited':
        this.#print(`${who} exited while reloading`)
        return 1
      case 'timeout':
        this.#print(`Timed out after ${timeoutMs / 1000} seconds waiting for ${who} to reload`)
        return 1
      case 'silent':
        this.#print(
          `${who} said nothing on its notification socket in ${quietMs / 1000} seconds: signalled, outcome unknown`,
        )
        return 0
    }
  }

  /** alias for reload */
  forceReload(opts: CommandOptions = {}): Promise<number> {
    return this.reload(opts)
  }
}

/**
 * Watches signalled pids until every one is gone or `intervalSeconds` pass,
 * yielding each [server, pid] that stopped (swift's watch_server_pids).
 */
async function* watchServerPids(
  serverPids: Map<Server, Map<number, string>>,
  intervalSeconds: number,
  opts: CommandOptions,
): AsyncGenerator<[Server, number]> {
  const end = Date.now() + intervalSeconds * 1000
  const current = new Map(serverPids)
  for (;;) {
    let anyRunning = false
    for (const [server, pids] of current) {
      const running = server.getRunningPids(opts)
      for (const pid of pids.keys()) if (!running.has(pid)) yield [server, pid]
      current.set(server, running)
      if (running.size) anyRunning = true
    }
    if (!anyRunning || Date.now() > end) return
    await sleep(WATCH_INTERVAL_MS)
  }
}
