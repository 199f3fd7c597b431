import type { ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { constants as osConstants } from 'node:os'
import { basename, dirname } from 'node:path'
import type { Writable } from 'node:stream'
import { isForkliftError } from '@forklift/errors'
import {
  checkProcess,
  ensureRunDir,
  formatServerName,
  inspectPidFile,
  PathsError,
  type PidFileInfo,
  parseServerName,
  readCmdline,
  readPidFile,
  removePidFile,
  type ServerCommand,
  ServerPaths,
  selectConfigNumber,
  writePidFile,
} from '@forklift/paths'
import { launcherCommand } from '@forklift/posix/launch'
import { GATE, GATE_JOINED, GATE_SCRIPTS } from './_gate.js'
import { configHasSection, isExecutable, type Writer, which, within } from './_util.js'
import { binaryName, type ServerFamily } from './family.js'
import { type LiveStatus, liveStatus, NO_LIVE_STATUS, statusFileFor } from './live-status.js'

/** Seconds to wait for a server to die after it printed something while starting (swift's WARNING_WAIT). */
export const WARNING_WAIT_SECONDS = 3

/** Options of every command, as swift-init's keyword arguments. */
export interface CommandOptions {
  /** `-v`: say more (stale/foreign pid files removed, configs found). */
  verbose?: boolean
  /** `-w` sets false: return right after spawning. Default true. */
  wait?: boolean
  /** `-o`: run one pass of daemons that support it. */
  once?: boolean
  /** `-n` sets false: run in the foreground, server logging to the console. Default true. */
  daemon?: boolean
  /** `-g`: SIGHUP instead of SIGTERM on servers that support a graceful stop. */
  graceful?: boolean
  /** SIGUSR1 on servers that support a seamless reload. */
  seamless?: boolean
  /** `-c N`: only the Nth config (1-based, sorted); 0 = all. */
  number?: number
  /** `-k N`: seconds to wait for stopped servers to die. Default 15. */
  killWait?: number
  /** `--strict` / `--non-strict`; default strict unless an alias or glob was given. */
  strict?: boolean
  /** `--kill-after-timeout`: SIGKILL the process group of servers still alive after the kill-wait. */
  killAfterTimeout?: boolean
  /** Do not complain about missing configs. */
  quiet?: boolean
  /** Aborting it while `no-daemon` waits is Ctrl-C: the servers are stopped. */
  signal?: AbortSignal
  /** More arguments for the server binary. */
  additionalArgs?: readonly string[]
}

/** What a Server needs from its Manager. */
export interface ServerContext {
  family: ServerFamily
  confDir: string
  runDir: string
  /** Directories searched for binaries, in order. */
  searchPath: readonly string[]
  /** Environment for the servers. */
  env: NodeJS.ProcessEnv
  out: Writer
}

interface Proc {
  child: ChildProcess
  pid: number
  conf: string
  pidFile: string
  once: boolean
  exited: Promise<number>
  /** Everything the server printed until it closed its stdout (wait mode only). */
  output: Promise<string> | undefined
}

/** One result of {@link Server.wait}: what a server printed while starting, and its share of the exit status. */
export interface StartResult {
  output: string
  status: number
}

/**
 * One instance in `status --json`: where it is and its state, then (running
 * only; null or empty otherwise) its start time and uptime, RSS, workers
 * (children) with theirs, and from its status file the respawn count, the
 * last reload and its STATUS line.
 */
export interface InstanceStatus extends LiveStatus {
  server: string
  conf_file: string | null
  pid_file: string
  pid: number | null
  state: 'running' | 'stopped' | 'stale' | 'invalid' | 'foreign'
}

/**
 * Called with a checked pid right before it is signalled (reload-seamless
 * binds the pid's notification socket here); false: do not signal it.
 */
export type BeforeSignal = (pid: number, sig: NodeJS.Signals | 0) => boolean

function signalNumber(sig: NodeJS.Signals | 0): number {
  return sig === 0 ? 0 : osConstants.signals[sig]
}

function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code
  return signal ? 128 + signalNumber(signal) : 1
}

/**
 * One server of a family (`object-server`, or `object-server.2` for a named
 * config) and the instances of it that its configs describe: swift's
 * `Server`. Commands print swift-init's lines to the context's writer.
 */
export class Server {
  /** `object-server`: what messages call it. */
  readonly server: string
  /** `object`. */
  readonly type: string
  /** The named config (`2` in `object.2`), if any. */
  readonly conf: string | undefined
  /** The binary name: `swift-object-server`. */
  readonly cmd: string
  /** Where the binary was found. */
  readonly binary: string
  readonly paths: ServerPaths
  /** Processes spawned by the last launch. */
  readonly procs: Proc[] = []
  readonly #ctx: ServerContext

  /** A server by name; undefined when the name is invalid or its binary is not on the search path (swift's verify_server). */
  static find(name: string, ctx: ServerContext): Server | undefined {
    let parsed: ReturnType<typeof parseServerName>
    try {
      parsed = parseServerName(name)
    } catch (err) {
      if (err instanceof PathsError) return undefined
      throw err
    }
    const locate = (cmd: string) =>
      cmd.includes('/') ? (isExecutable(cmd) ? cmd : undefined) : which(cmd, ctx.searchPath)
    // As swift's verify_server: the binary is looked up by the name as given,
    // so names are case-sensitive (`OBJECT` needs a `swift-OBJECT-server`),
    // while the server itself is the lower-cased one.
    const given = name.split('.', 1)[0] ?? ''
    if (!locate(binaryName(ctx.family, given.includes('-') ? given : `${given}-server`))) {
      return undefined
    }
    const cmd = binaryName(ctx.family, parsed.server)
    // Found only under its other case: launching says it does not exist, as swift.
    return new Server(name, locate(cmd) ?? cmd, ctx)
  }

  constructor(name: string, binary: string, ctx: ServerContext) {
    this.#ctx = ctx
    this.paths = new ServerPaths(name, {
      confDir: ctx.confDir,
      runDir: ctx.runDir,
      standaloneServers: ctx.family.standaloneServers,
    })
    this.server = this.paths.server
    this.type = this.paths.type
    this.conf = this.paths.conf
    this.cmd = binaryName(ctx.family, this.server)
    this.binary = binary
  }

  /** `object-server`, or `object-server.2`: identifies this server in a manager. */
  get key(): string {
    return formatServerName(this)
  }

  toString(): string {
    return this.server
  }

  #print(line: string): void {
    this.#ctx.out.write(`${line}\n`)
  }

  /**
   * How /proc/<pid>/cmdline must read for the pid in `pidFile` to be this
   * server's: its binary run as the program, with the conf that pid file
   * stands for (for a server that falls back to a conf of its own name, that
   * one too), possibly still in swift-init's start gate.
   */
  serverCommand(pidFile: string): ServerCommand {
    const conf = [this.paths.confFileFor(pidFile)]
    if (this.#ctx.family.confFrom?.[this.server]) {
      conf.push(this.paths.confFileFor(pidFile, { ownName: true }))
    }
    return { command: basename(this.cmd), conf, shellWrappers: GATE_SCRIPTS }
  }

  /** The config files of this server (printing swift-init's complaints unless quiet). */
  confFiles(opts: CommandOptions = {}): string[] {
    const from = this.#ctx.family.confFrom?.[this.server]
    let found: string[]
    if (from) {
      found = this.paths.findConfFiles(from.search).filter((c) => configHasSection(c, from.section))
      if (found.length === 0) found = this.paths.findConfFiles(this.server)
    } else {
      found = this.paths.findConfFiles()
    }
    const confFiles = selectConfigNumber(found, opts.number)
    const dump = () => {
      if (found.length) this.#print('Found configs:')
      found.forEach((c, i) => {
        this.#print(`  ${i + 1}) ${c}`)
      })
    }
    if (confFiles.length === 0) {
      if (!opts.quiet) {
        this.#print(
          opts.number
            ? `Unable to locate config number ${opts.number} for ${this.server}`
            : `Unable to locate config for ${this.server}`,
        )
        if (opts.verbose) dump()
      }
    } else if (
      from?.fallbackWarning &&
      !opts.quiet &&
      confFiles.some((c) => c.includes(this.server))
    ) {
      this.#print(from.fallbackWarning)
      if (opts.verbose) dump()
    }
    return confFiles
  }

  /** The pid files of this server (with `number`, only the one of the Nth config). */
  pidFiles(opts: CommandOptions = {}): string[] {
    const pidFiles = this.paths.findPidFiles()
    if (!opts.number) return pidFiles
    const confFiles = this.confFiles(opts)
    return pidFiles.filter((p) => confFiles.includes(this.paths.confFileFor(p)))
  }

  #inspect(pidFile: string): PidFileInfo | undefined {
    try {
      return inspectPidFile(pidFile, { server: this.serverCommand(pidFile) })
    } catch (err) {
      if (!isForkliftError(err)) throw err
      this.#print(`Unable to read pid file ${pidFile}`)
      return undefined
    }
  }

  /**
   * Sends `sig` (0 = just look) to every pid in this server's pid files,
   * removing invalid, stale and foreign pid files as it goes. Unlike swift,
   * a pid whose /proc cmdline does not name the server is never signalled.
   * Returns the pids that are alive (and were signalled) → their pid files.
   */
  signalPids(
    sig: NodeJS.Signals | 0,
    opts: CommandOptions = {},
    before?: BeforeSignal,
  ): Map<number, string> {
    const pids = new Map<number, string>()
    for (const pidFile of this.pidFiles(opts)) {
      const info = this.#inspect(pidFile)
      if (info === undefined || info.state === 'missing') continue
      if (info.state === 'invalid' || info.pid === undefined) {
        this.#print(`Removing pid file ${pidFile} with invalid pid`)
        removePidFile(pidFile)
        continue
      }
      if (this.#signalPid(sig, info, opts.verbose, before)) pids.set(info.pid, pidFile)
    }
    return pids
  }

  #signalPid(
    sig: NodeJS.Signals | 0,
    info: PidFileInfo,
    verbose?: boolean,
    before?: BeforeSignal,
  ): boolean {
    const pid = info.pid!
    // swift-init words a removal by what /proc says: no entry at all is
    // stale; an entry whose cmdline is not the server (a stranger, or a
    // zombie, whose cmdline is empty) is a wrong pid.
    const stale = () => {
      if (verbose) this.#print(`Removing stale pid file ${info.path}`)
      removePidFile(info.path)
      return false
    }
    const wrong = () => {
      if (verbose) this.#print(`Removing pid file ${info.path} with wrong pid ${pid}`)
      removePidFile(info.path)
      return false
    }
    // Unlike swift, never a signal to a process not started as this server.
    if (info.state === 'foreign') return wrong()
    if (sig === 0) {
      if (info.state === 'dying') return wrong()
    } else {
      this.#print(`Signal ${this.server}  pid: ${pid}  signal: ${signalNumber(sig)}`)
    }
    if (info.state === 'stale') return stale()
    // Already exiting: it counts as signalled (swift's kill of it succeeds,
    // and the wait that follows sees it go), but nothing is sent to a pid
    // we cannot check.
    if (info.state === 'dying') return true
    if (!info.permitted) {
      this.#print(`No permission to signal PID ${pid}`)
      return false
    }
    if (before && !before(pid, sig)) return false
    try {
      process.kill(pid, sig)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ESRCH') return stale()
      if (code === 'EPERM') {
        this.#print(`No permission to signal PID ${pid}`)
        return false
      }
      throw err
    }
    return true
  }

  /** The live pids of this server → their pid files. */
  getRunningPids(opts: CommandOptions = {}): Map<number, string> {
    return this.signalPids(0, opts)
  }

  /** SIGTERM, or SIGHUP (graceful) / SIGUSR1 (seamless) where the family says the server supports it. */
  killRunningPids(opts: CommandOptions = {}, before?: BeforeSignal): Map<number, string> {
    const { family } = this.#ctx
    let sig: NodeJS.Signals = 'SIGTERM'
    if (opts.graceful && family.gracefulServers.includes(this.server)) sig = 'SIGHUP'
    else if (opts.seamless && family.seamlessServers.includes(this.server)) sig = 'SIGUSR1'
    return this.signalPids(sig, opts, before)
  }

  /** Sends the stop signal; returns the pids signalled. */
  stop(opts: CommandOptions = {}, before?: BeforeSignal): Map<number, string> {
    return this.killRunningPids(opts, before)
  }

  /**
   * SIGKILL to the process group of `pid` (swift-init spawned it as a
   * session leader), after checking it still is this server; falls back to
   * the pid alone when it leads no group.
   */
  killGroup(pid: number, pidFile: string, verbose?: boolean): void {
    const check = checkProcess(pid, this.serverCommand(pidFile))
    if (check.state === 'foreign') {
      if (verbose) this.#print(`Removing pid file ${pidFile} with wrong pid ${pid}`)
      removePidFile(pidFile)
      return
    }
    this.#print(`Signal ${this.server}  pid: ${pid}  signal: ${signalNumber('SIGKILL')}`)
    if (check.state === 'stale' || check.state === 'dying') return
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL')
        return
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'EPERM') {
          this.#print(`No permission to signal PID ${pid}`)
          return
        }
        if (code !== 'ESRCH') throw err
      }
    }
  }

  /** Prints this server's status; 1 when it is not running. */
  status(opts: CommandOptions = {}, pids?: Map<number, string>): number {
    pids ??= this.getRunningPids(opts)
    if (pids.size === 0) {
      if (opts.number) {
        const confFiles = this.confFiles({ ...opts, quiet: true })
        if (confFiles.length) {
          this.#print(`${this.server} #${opts.number} not running (${confFiles[0]})`)
        }
      } else {
        this.#print(`No ${this.server} running`)
      }
      return 1
    }
    for (const [pid, pidFile] of pids) {
      this.#print(`${this.server} running (${pid} - ${this.paths.confFileFor(pidFile)})`)
    }
    return 0
  }

  /** Every instance (config and/or pid file) with its state, changing nothing: `status --json`. */
  statusReport(opts: CommandOptions = {}): InstanceStatus[] {
    const quiet = { ...opts, quiet: true }
    const report: InstanceStatus[] = []
    const seen = new Set<string>()
    const entry = (conf: string | null, pidFile: string): InstanceStatus => {
      seen.add(pidFile)
      let info: PidFileInfo | undefined
      try {
        info = inspectPidFile(pidFile, { server: this.serverCommand(pidFile) })
      } catch {}
      const state =
        !info || info.state === 'missing'
          ? 'stopped'
          : info.state === 'dying'
            ? 'stale'
            : info.state
      const pid = info?.pid ?? null
      return {
        server: this.server,
        conf_file: conf,
        pid_file: pidFile,
        pid,
        state,
        ...(state === 'running' && pid !== null
          ? liveStatus(pid, statusFileFor(this.paths.runDir, pidFile))
          : { ...NO_LIVE_STATUS, worker_pids: [], workers: [] }),
      }
    }
    for (const conf of this.confFiles(quiet)) report.push(entry(conf, this.paths.pidFileFor(conf)))
    for (const pidFile of this.pidFiles(quiet)) {
      if (!seen.has(pidFile)) report.push(entry(this.paths.confFileFor(pidFile), pidFile))
    }
    return report
  }

  /**
   * Spawns the binary with `conf_file` (+ `once`, + `verbose` in the
   * foreground) and writes its pid file. As a daemon it runs in a new
   * session; waiting, its stdout and stderr go to one pipe we read until the
   * server closes it (swift servers do once their sockets are bound).
   */
  spawn(conf: string, opts: CommandOptions & { once?: boolean } = {}): number {
    const args = [conf]
    if (opts.once) args.push('once')
    if (opts.daemon === false) args.push('verbose')
    if (opts.additionalArgs) args.push(...opts.additionalArgs)
    const pidFile = this.paths.pidFileFor(conf)
    const env: NodeJS.ProcessEnv = { PYTHON_EGG_CACHE: '/tmp', ...this.#ctx.env }
    // Before anything is spawned: a pid file we could not write would leave
    // a gated child with nothing to wait for.
    ensureRunDir(this.paths.runDir, dirname(pidFile))
    // Where a forklift server keeps what status --json cannot read in /proc
    // (respawns, last reload); other servers ignore it. Inside the run dir
    // ensureRunDir just vouched for (ours, writable by nobody else).
    const statusFile = statusFileFor(this.paths.runDir, pidFile)
    if (statusFile) {
      try {
        mkdirSync(dirname(statusFile), { recursive: true, mode: 0o755 })
        env.FORKLIFT_STATUS_FILE = statusFile
      } catch {}
    }
    // Loaded on first use: status and stop, which must be quick, never spawn.
    const { spawn } = process.getBuiltinModule('node:child_process')
    // A forklift launcher (@forklift/posix/launch) is exec'd as its shell
    // part would exec it, `env --block-signal=USR1 node --disable-sigusr1
    // <binary>`, without that shell part: the same process and cmdline
    // (SIGUSR1 blocked from exec on), two execs and a probe fewer per server.
    const command = launcherCommand(this.binary, env) ?? [this.binary]
    // fd 3 is the gate (see _gate.ts). Waiting, stdout and stderr are one
    // pipe we read until the server closes it (swift's Popen(stderr=STDOUT));
    // the gate's sh joins them, as Node cannot hand one pipe to two fds.
    let child: ChildProcess
    if (opts.daemon === false) {
      child = spawn('/bin/sh', ['-c', GATE, pidFile, ...command, ...args], {
        stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
        env,
      })
    } else if (opts.wait !== false) {
      child = spawn('/bin/sh', ['-c', GATE_JOINED, pidFile, ...command, ...args], {
        detached: true,
        stdio: ['ignore', 'pipe', 'ignore', 'pipe'],
        env,
      })
    } else {
      child = spawn('/bin/sh', ['-c', GATE, pidFile, ...command, ...args], {
        detached: true,
        stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
        env,
      })
    }
    child.on('error', () => {}) // reported through pid/exit below
    const gate = child.stdio[3] as Writable | null
    gate?.on('error', () => {}) // a gate that exited: its exit status says why
    const pid = child.pid
    if (pid === undefined || gate === null) throw new Error(`${this.cmd} could not be spawned`)
    const exited = new Promise<number>((resolve) => {
      child.once('exit', (code, signal) => resolve(exitStatus(code, signal)))
    })
    let output: Promise<string> | undefined
    const stdout = child.stdout
    if (stdout) {
      output = new Promise<string>((resolve) => {
        const chunks: Buffer[] = []
        stdout.on('data', (c: Buffer) => chunks.push(c))
        const done = () => resolve(Buffer.concat(chunks).toString('utf8'))
        stdout.once('end', done)
        stdout.once('close', done)
        stdout.once('error', done)
      })
    }
    try {
      writePidFile(pidFile, pid, { runDir: this.paths.runDir })
    } catch (err) {
      gate.destroy() // EOF: the gate exits without starting the server
      child.kill('SIGKILL')
      throw err
    }
    gate.end('go\n', () => gate.destroy())
    if (opts.daemon !== false && opts.wait === false) child.unref()
    this.procs.push({ child, pid, conf, pidFile, once: opts.once === true, exited, output })
    return pid
  }

  /**
   * Waits for the spawned servers to be up: each closes its stdout (a
   * `once` pass also exits). What a server printed is returned; a server
   * that printed something and died within {@link WARNING_WAIT_SECONDS}
   * (swift's rule), or that died silently while starting, adds its exit
   * status. Servers are waited for together, results in spawn order.
   */
  async wait(): Promise<StartResult[]> {
    return Promise.all(this.procs.map((p) => this.#waitOne(p)))
  }

  async #waitOne(p: Proc): Promise<StartResult> {
    const output = p.output ? await p.output : ''
    p.child.stdout?.destroy()
    let code: number | undefined
    if (p.once) code = await p.exited
    if (output) {
      code ??= await within(p.exited, WARNING_WAIT_SECONDS * 1000)
    } else if (code === undefined && this.#exiting(p)) {
      code = await p.exited
    }
    p.child.unref()
    // We saw it exit, so its pid is free for anyone: leave no pid file naming it.
    if (p.child.exitCode !== null || p.child.signalCode !== null) this.#forget(p)
    return { output, status: code ?? 0 }
  }

  #forget(p: Proc): void {
    const read = (() => {
      try {
        return readPidFile(p.pidFile)
      } catch {
        return undefined
      }
    })()
    if (read?.state === 'ok' && read.pid === p.pid) removePidFile(p.pidFile)
  }

  // When a child's pipe reaches EOF because it is exiting, the kernel has
  // already released its memory (exit_mm runs before exit_files), so its
  // cmdline reads empty; a live server that closed stdout still has one.
  #exiting(p: Proc): boolean {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return true
    const cmdline = readCmdline(p.pid)
    return cmdline === undefined || (cmdline !== null && cmdline.length === 0)
  }

  /** Waits for foreground servers to exit; 1 per server that failed. Removes their pid files. */
  async interact(): Promise<number> {
    const codes = await Promise.all(
      this.procs.map(async (p) => {
        const code = await p.exited
        this.#forget(p)
        return code
      }),
    )
    return codes.filter((c) => c !== 0).length
  }

  /**
   * Finds the configs and spawns one process per config, unless some are
   * already running. Returns the pids spawned → conf files (empty when
   * nothing was started, which counts as a failure in strict mode).
   */
  launch(opts: CommandOptions = {}): Map<number, string> {
    const confFiles = this.confFiles(opts)
    if (confFiles.length === 0) return new Map()
    let alreadyStarted = false
    for (const [pid, pidFile] of this.getRunningPids(opts)) {
      const conf = this.paths.confFileFor(pidFile)
      // As swift: one running instance blocks starting the others, unless -c picks one.
      if (confFiles.includes(conf)) {
        alreadyStarted = true
        this.#print(`${this.server} running (${pid} - ${conf})`)
      } else if (!opts.number) {
        alreadyStarted = true
        this.#print(`${this.server} running (${pid} - ${pidFile})`)
      }
    }
    if (alreadyStarted) {
      this.#print(`${this.server} already started...`)
      return new Map()
    }
    const once = opts.once === true && this.#ctx.family.onceServers.includes(this.server)
    this.procs.length = 0 // a second start on this object waits for its own spawns only
    const pids = new Map<number, string>()
    for (const conf of confFiles) {
      const msg = once ? `Running ${this.server} once` : `Starting ${this.server}`
      this.#print(`${msg}...(${conf})`)
      if (!isExecutable(this.binary)) {
        this.#print(`${this.cmd} does not exist`)
        break
      }
      pids.set(this.spawn(conf, { ...opts, once }), conf)
    }
    return pids
  }
}
