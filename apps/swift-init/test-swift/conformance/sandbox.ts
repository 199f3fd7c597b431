// One scenario's world for one swift-init: confs, server binaries, a run
// dir and the processes pid files point at, in a temp dir that the
// harness removes with everything still running in it.
import { spawn } from 'node:child_process'
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { alive, installNodeScript, readJsonLines, waitFor } from '@forklift/test-utils'
import { FIXTURE } from '../../test/_helpers.js'

/** What a pid file is made to say before the command runs. */
export type PidState =
  | 'none' // no pid file
  | 'running' // the server, started on that conf
  | 'stale' // a pid that no longer exists
  | 'foreign' // a live process that is no server (sleep)
  | 'stranger' // a live process that only mentions the server (python3 trap.py …swift-object-server.log)
  | 'zombie' // a process that exited and was not reaped
  | 'invalid' // garbage

// A stranger that leaves on the signals swift-init sends, as most programs do.
const TRAP = `import signal, sys, time
for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1):
    signal.signal(s, lambda *a: sys.exit(0))
open(sys.argv[1] + '.ready', 'w').close()
while True:
    time.sleep(60)
`

interface FixtureEvent {
  pid: number
  event: string
}

export class Sandbox {
  readonly root: string
  readonly etc: string
  readonly bin: string
  readonly run: string
  readonly events: string
  /** Processes planted here that may not mention the root in their argv (sleep, a zombie's parent). */
  readonly #planted: number[] = []

  constructor(prefix = 'fl-conf-') {
    this.root = mkdtempSync(join(tmpdir(), prefix))
    this.etc = join(this.root, 'etc')
    this.bin = join(this.root, 'bin')
    this.run = join(this.root, 'run')
    this.events = join(this.root, 'events.jsonl')
    mkdirSync(this.etc)
    mkdirSync(this.bin)
    // PATH is this bin only, so that no other swift-* binary is found; our
    // start raises resource limits through util-linux's prlimit, found on
    // PATH (Python calls setrlimit), so it goes here too.
    symlinkSync('/usr/bin/prlimit', join(this.bin, 'prlimit'))
    // swift's servers read swift.conf from swift_dir.
    writeFileSync(
      join(this.etc, 'swift.conf'),
      '[swift-hash]\nswift_hash_path_suffix = forklift\nswift_hash_path_prefix = forklift\n',
    )
  }

  /** The environment both swift-inits get: only this sandbox's binaries and dirs. */
  env(): NodeJS.ProcessEnv {
    return {
      PATH: this.bin,
      SWIFT_DIR: this.etc,
      FORKLIFT_RUN_DIR: this.run,
      LANG: 'C.UTF-8',
      HOME: this.root,
    }
  }

  /** The manager's fixture server, as `swift-<server>` for each server. */
  install(...servers: string[]): this {
    for (const s of servers) installNodeScript(FIXTURE, join(this.bin, `swift-${s}`))
    return this
  }

  /** Debian's own binaries (`/usr/bin/swift-<server>`), linked in. */
  installDebian(...servers: string[]): this {
    for (const s of servers) symlinkSync(`/usr/bin/swift-${s}`, join(this.bin, `swift-${s}`))
    return this
  }

  /** A fixture conf (relative to etc) with extra `key = value` lines. */
  conf(rel: string, extra: Record<string, string | number> = {}): string {
    const lines = ['[DEFAULT]', 'bind_port = 0', `events = ${this.events}`]
    for (const [k, v] of Object.entries(extra)) lines.push(`${k} = ${v}`)
    return this.file(join('etc', rel), `${lines.join('\n')}\n`)
  }

  /** A file relative to the root, parents created. */
  file(rel: string, text: string): string {
    const path = join(this.root, rel)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, text)
    return path
  }

  eventList(): FixtureEvent[] {
    return readJsonLines<FixtureEvent>(this.events)
  }

  /** Waits for a fixture event (by name, from a pid if given). */
  waitForEvent(event: string, pid?: number, ms = 30_000): Promise<FixtureEvent> {
    return waitFor(
      () => this.eventList().find((e) => e.event === event && (pid === undefined || e.pid === pid)),
      `a ${event} event${pid ? ` from ${pid}` : ''}`,
      ms,
      25,
    )
  }

  /**
   * Makes the pid file `rel` (relative to run) say `state`; a `running`
   * server is started on `conf` with `server`'s binary. Returns the pid.
   */
  async plant(
    state: PidState,
    rel: string,
    server: string,
    conf: string,
  ): Promise<number | undefined> {
    const pidFile = join(this.run, rel)
    mkdirSync(dirname(pidFile), { recursive: true })
    let pid: number | undefined
    let content: string | undefined
    switch (state) {
      case 'none':
        return undefined
      case 'invalid':
        content = 'not a pid\n'
        break
      case 'running': {
        const child = spawn(join(this.bin, `swift-${server}`), [conf], {
          detached: true,
          stdio: 'ignore',
        })
        child.unref()
        pid = child.pid!
        await this.waitForEvent('started', pid)
        break
      }
      case 'stale': {
        const child = spawn('true', { stdio: 'ignore' })
        await new Promise((r) => child.once('exit', r))
        pid = child.pid!
        break
      }
      case 'foreign': {
        const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' })
        child.unref()
        pid = child.pid!
        this.#planted.push(pid)
        break
      }
      case 'stranger': {
        const log = this.file('log/swift-object-server.log', '')
        const trap = this.file('trap.py', TRAP)
        const child = spawn('python3', [trap, log], { detached: true, stdio: 'ignore' })
        child.unref()
        pid = child.pid!
        await waitFor(
          () => readdirSync(dirname(log)).includes('swift-object-server.log.ready'),
          'the stranger',
          30_000,
          25,
        )
        break
      }
      case 'zombie': {
        // A child its parent (a shell that became sleep) never reaps. The child
        // exits only once the shell has become sleep: one that exited earlier
        // could be reaped by the shell itself, and no zombie would appear.
        const child = 'while [ "$(cat /proc/$p/comm)" != sleep ]; do sleep 0.01; done'
        const shell = spawn('sh', ['-c', `p=$$; (${child}) & echo $!; exec sleep 300`], {
          detached: true,
          stdio: ['ignore', 'pipe', 'ignore'],
        })
        shell.unref()
        this.#planted.push(shell.pid!)
        pid = Number((await new Promise<Buffer>((r) => shell.stdout!.once('data', r))).toString())
        shell.stdout!.destroy()
        await waitFor(
          () => readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '),
          'a zombie',
          10_000,
          20,
        )
        break
      }
    }
    writeFileSync(pidFile, content ?? `${pid}\n`)
    return pid
  }

  /** Kills whatever runs from here (by argv, and what was planted), waits for it, removes the tree. */
  async destroy(): Promise<void> {
    const victims = new Set(this.#planted)
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      try {
        if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(this.root))
          victims.add(Number(entry))
      } catch {}
    }
    victims.delete(process.pid)
    for (const pid of victims) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL')
        } catch {}
      }
    }
    await waitFor(
      () => [...victims].every((p) => !alive(p)),
      'the sandbox processes to die',
      20_000,
      25,
    ).catch(() => {})
    rmSync(this.root, { recursive: true, force: true, maxRetries: 5 })
  }
}
