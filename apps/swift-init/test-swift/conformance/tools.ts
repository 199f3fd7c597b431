// The two swift-inits the harness compares: ours (the built binary) and
// Python's (Swift's Manager behind scripts/python-swift-init.py, or
// upstream's bin/swift-init itself with FORKLIFT_SWIFT_INIT), run the same
// way: argv, environment, working directory in; exit status, stdout and
// stderr out.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { APP, BIN } from '../../test/_helpers.js'

/** One finished run. `code` is null when the harness had to stop it (`timedOut`). */
export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
  timedOut: boolean
}

export interface RunOptions {
  env: NodeJS.ProcessEnv
  cwd: string
  /** Stop it (SIGKILL) after this long and report `timedOut`. */
  timeoutMs: number
  /** Called once the process exists, with its pid (to send it a signal). */
  onStart?: (pid: number) => void
}

/** A swift-init to run. */
export interface Tool {
  readonly name: 'ours' | 'python'
  run(argv: readonly string[], options: RunOptions): Promise<RunResult>
  close(): Promise<void>
}

export const PYTHON = '/usr/bin/python3'
export const DRIVER = join(APP, 'scripts', 'python-swift-init.py')

/** Our swift-init: the built binary on the real Node, as an operator runs it. */
export function ourSwiftInit(bin = BIN): Tool {
  return {
    name: 'ours',
    run(argv, { env, cwd, timeoutMs, onStart }) {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [bin, ...argv], {
          env,
          cwd,
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (d) => {
          stdout += d
        })
        child.stderr.on('data', (d) => {
          stderr += d
        })
        let timedOut = false
        const timer = setTimeout(() => {
          timedOut = true
          child.kill('SIGKILL')
        }, timeoutMs)
        child.once('spawn', () => onStart?.(child.pid!))
        child.once('error', reject)
        child.once('close', (code) => {
          clearTimeout(timer)
          resolve({ code: timedOut ? null : code, stdout, stderr, timedOut })
        })
      })
    },
    async close() {},
  }
}

/**
 * Python's swift-init through the driver's fork server: Python imports swift
 * and eventlet once (a second or more each time otherwise), then every run
 * is a fresh fork of that process. Output goes through files, read when the
 * run exits.
 */
export function pythonSwiftInit(): Tool {
  const scratch = mkdtempSync(join(tmpdir(), 'fl-pyswift-'))
  // PYTHONUNBUFFERED: swift-init's lines reach stdout in the order a
  // terminal shows them, also around a foreground server's own output.
  // PYTHONHASHSEED: a fixed (but still arbitrary) order of Python's sets.
  const server: ChildProcess = spawn(PYTHON, [DRIVER, '--serve'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONHASHSEED: '0' },
  })
  type Reply = { pid: number; status?: number }
  const replies = createInterface({ input: server.stdout! })
  const waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = []
  // Both replies of a quick run can come in one chunk, before anyone waits for the second.
  const early: Reply[] = []
  replies.on('line', (line) => {
    const reply = JSON.parse(line) as Reply
    const w = waiting.shift()
    if (w) w.resolve(reply)
    else early.push(reply)
  })
  server.once('exit', () => {
    for (const w of waiting.splice(0)) w.reject(new Error('the Python swift-init fork server died'))
  })
  const next = () =>
    new Promise<Reply>((resolve, reject) => {
      const reply = early.shift()
      if (reply) resolve(reply)
      else if (server.exitCode !== null) reject(new Error('the Python swift-init fork server died'))
      else waiting.push({ resolve, reject })
    })
  let queue: Promise<unknown> = Promise.resolve()
  let runs = 0
  return {
    name: 'python',
    run(argv, { env, cwd, timeoutMs, onStart }) {
      // One run at a time: the fork server waits for each.
      const result = queue.then(async () => {
        const n = ++runs
        const out = join(scratch, `${n}.out`)
        const err = join(scratch, `${n}.err`)
        server.stdin!.write(`${JSON.stringify({ argv, env, cwd, stdout: out, stderr: err })}\n`)
        const { pid } = await next()
        onStart?.(pid)
        let timedOut = false
        const timer = setTimeout(() => {
          timedOut = true
          try {
            process.kill(pid, 'SIGKILL')
          } catch {}
        }, timeoutMs)
        const { status } = await next()
        clearTimeout(timer)
        const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '')
        const r = {
          code: timedOut ? null : (status ?? null),
          stdout: read(out),
          stderr: read(err),
          timedOut,
        }
        rmSync(out, { force: true })
        rmSync(err, { force: true })
        return r
      })
      queue = result.catch(() => {})
      return result
    },
    async close() {
      server.stdin!.end()
      if (server.exitCode === null) await new Promise((r) => server.once('exit', r))
      rmSync(scratch, { recursive: true, force: true })
    },
  }
}

/** Can the Python side run here: /usr/bin/python3 with Debian's swift? */
export function hasPythonSwift(): boolean {
  if (!existsSync(PYTHON)) return false
  const r = spawnSyncQuiet(PYTHON, ['-c', 'import swift.common.manager'])
  return r === 0
}

function spawnSyncQuiet(cmd: string, args: string[]): number | null {
  const { spawnSync } = process.getBuiltinModule('node:child_process')
  return spawnSync(cmd, args, { stdio: 'ignore', timeout: 60_000 }).status
}
