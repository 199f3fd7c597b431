import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { freePort, killOnFinish, spawnCollect, tempDir, waitFor } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { launcherScript } from '../src/launch.js'
import {
  blockedSignals,
  blockSignal,
  onSignalQueued,
  signalDisposition,
  unblockSignal,
} from '../src/signals.js'

const FIXTURES = join(import.meta.dirname, 'fixtures')

interface State {
  done?: string
  got?: number
  blocked: boolean
  pending: boolean
  sigBlk: string
}

/** A signal-child forked with `execArgv`, and a queue of what it reported. */
function child(execArgv: string[]) {
  const c: ChildProcess = killOnFinish(
    fork(join(FIXTURES, 'signal-child.mjs'), {
      execArgv,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    }),
  )
  const messages: State[] = []
  c.on('message', (m) => messages.push(m as State))
  let seen = 0
  const next = (match: (m: State) => boolean, what: string) =>
    waitFor(
      () => {
        const i = messages.findIndex((m, j) => j >= seen && match(m))
        if (i < 0) return undefined
        seen = i + 1
        return messages[i]
      },
      what,
      10_000,
      10,
    )
  const command = (cmd: string) => {
    c.send(cmd)
    return next((m) => m.done === cmd, `the child to do ${cmd}`)
  }
  const got = (n: number) => next((m) => m.got === n, `SIGUSR1 number ${n} to reach the handler`)
  return { c, next, command, got, start: next((m) => m.done === 'start', 'the child to start') }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

describe('node --disable-sigusr1 and the signal mask', () => {
  it('keeps SIGUSR1 pending until onSignalQueued installs the handler, then delivers it and later ones', async () => {
    const k = child(['--disable-sigusr1'])
    const start = await k.start
    expect(start).toMatchObject({ blocked: true, pending: false })
    expect(BigInt(`0x${start.sigBlk}`) & (1n << 9n)).toBe(1n << 9n)

    k.c.kill('SIGUSR1')
    k.c.kill('SIGUSR1')
    // A standard signal waits once however often it is sent.
    await waitFor(async () => (await k.command('state')).pending, 'SIGUSR1 to be pending')

    const queued = await k.command('queue')
    expect(queued.blocked).toBe(false)
    await k.got(1)
    k.c.kill('SIGUSR1')
    await k.got(2)

    // Released: blocked again, so a SIGUSR1 waits instead of ending the process.
    expect(await k.command('release')).toMatchObject({ blocked: true })
    k.c.kill('SIGUSR1')
    await waitFor(async () => (await k.command('state')).pending, 'SIGUSR1 to wait again')
    expect(k.c.exitCode).toBe(null)
  })

  it('holdSignalUntilHandled lets plain process.on handlers receive a queued SIGUSR1, and blocks it again when they go', async () => {
    const k = child(['--disable-sigusr1'])
    await k.start
    expect(await k.command('hold')).toMatchObject({ blocked: true })
    k.c.kill('SIGUSR1')
    await waitFor(async () => (await k.command('state')).pending, 'SIGUSR1 to be pending')
    expect(await k.command('on')).toMatchObject({ blocked: false })
    await k.got(1)
    expect(await k.command('off')).toMatchObject({ blocked: true })
    k.c.kill('SIGUSR1')
    await waitFor(async () => (await k.command('state')).pending, 'SIGUSR1 to wait again')
    expect(k.c.exitCode).toBe(null)
  })

  it('without --disable-sigusr1 a released onSignalQueued leaves the mask as it found it', async () => {
    const k = child([])
    expect(await k.start).toMatchObject({ blocked: false })
    expect(await k.command('queue')).toMatchObject({ blocked: false })
    k.c.kill('SIGUSR1')
    await k.got(1)
    expect(await k.command('release')).toMatchObject({ blocked: false })
  })

  it('reads how a process treats a signal from /proc', async () => {
    const k = child(['--disable-sigusr1'])
    await k.start
    const pid = k.c.pid!
    expect(signalDisposition('SIGUSR1', pid)).toEqual({
      blocked: true,
      ignored: false,
      caught: false,
      pending: false,
    })
    expect(signalDisposition('SIGPIPE', pid).ignored).toBe(true) // Node ignores SIGPIPE
    await k.command('queue')
    expect(signalDisposition('SIGUSR1', pid)).toMatchObject({ blocked: false, caught: true })
    expect(() => signalDisposition('SIGUSR1', 2 ** 30)).toThrow(
      expect.objectContaining({ code: 'E_SYSCALL', errno: 'ENOENT' }),
    )
  })

  it('refuses SIGKILL and unknown names, and changes this thread’s mask', () => {
    expect(() => onSignalQueued('SIGKILL' as 'SIGUSR1', () => {})).toThrow(/SIGKILL/)
    expect(() => blockSignal('SIGNOPE' as 'SIGUSR1')).toThrow(
      expect.objectContaining({ code: 'E_ARGUMENT' }),
    )
    const before = blockSignal('SIGUSR2')
    try {
      expect(blockedSignals()).toContain('SIGUSR2')
    } finally {
      if (!before) unblockSignal('SIGUSR2')
    }
    expect(blockedSignals()).not.toContain('SIGUSR2')
  })

  it('refuses to block or hold a signal in a worker thread, naming the call (E_MAIN_THREAD)', async () => {
    // The built module: a worker thread loads plain JavaScript.
    const signals = pathToFileURL(join(import.meta.dirname, '../dist/signals.js')).href
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads')
      import(${JSON.stringify(signals)}).then((m) => {
        const tries = [() => m.blockSignal('SIGUSR2'), () => m.holdSignalUntilHandled('SIGUSR2')]
        parentPort.postMessage(tries.map((f) => { try { f(); return 'ok' } catch (e) { return e.code + ': ' + e.message } }))
      })`,
      { eval: true },
    )
    try {
      const [reply] = await once(worker, 'message')
      expect(reply).toEqual([
        expect.stringMatching(/^E_MAIN_THREAD: blockSignal works on the main thread only/),
        expect.stringMatching(/^E_MAIN_THREAD: .* works on the main thread only/),
      ])
    } finally {
      await worker.terminate()
    }
    // The same calls on this, the main thread, succeed.
    const before = blockSignal('SIGUSR2')
    if (!before) unblockSignal('SIGUSR2')
  })
})

describe('SIGUSR1 while a launched program boots', () => {
  /**
   * Starts boot-child.mjs with its inspector port set: plainly, or through a
   * launcher, spawned by a parent that blocks SIGUSR1 for it (GNU env; Node's
   * own spawn cannot) or by one that blocks nothing.
   */
  async function boot(how: 'plain' | 'blocked' | 'unblocked') {
    const port = await freePort()
    const dir = tempDir('fl-posix-boot-')
    const launcher = join(dir, 'boot')
    writeFileSync(
      launcher,
      launcherScript({ node: process.execPath, script: join(FIXTURES, 'boot-child.mjs') }),
      { mode: 0o755 },
    )
    const env = { ...process.env, NODE_OPTIONS: `--inspect-port=127.0.0.1:${port}` }
    const stdio = ['pipe', 'pipe', 'pipe'] as const
    const p =
      how === 'plain'
        ? spawnCollect(process.execPath, [join(FIXTURES, 'boot-child.mjs')], {
            env,
            stdio: [...stdio],
          })
        : how === 'blocked'
          ? spawnCollect('env', ['--block-signal=USR1', launcher], { env, stdio: [...stdio] })
          : spawnCollect(launcher, [], { env, stdio: [...stdio] })
    return { ...p, port }
  }

  for (const delay of [5, 10, 20, 40, 60]) {
    it(`a SIGUSR1 ${delay} ms after spawn never opens the inspector and reaches the handler once installed`, async () => {
      const p = await boot('blocked')
      const pid = p.child.pid!
      await new Promise((r) => setTimeout(r, delay))
      p.child.kill('SIGUSR1')
      await waitFor(() => p.stdout().includes(`up ${pid}`), 'the program to boot (same pid: exec)')
      expect(await listening(p.port)).toBe(false)
      p.child.stdin!.write('install\n')
      await waitFor(() => p.stdout().includes('installed'), 'the handler to be installed')
      const queued = p.stdout().includes('\nqueued\n')
      p.child.kill('SIGUSR1')
      const last = queued ? 'got 2' : 'got 1'
      await waitFor(() => p.stdout().includes(last), `the SIGUSR1s to reach the handler (${last})`)
      expect(p.stdout()).not.toContain(queued ? 'got 3' : 'got 2')
      expect(await listening(p.port)).toBe(false)
      expect(p.stderr()).not.toContain('Debugger listening')
      expect(p.child.exitCode).toBe(null)
    })
  }

  it('spawned by a parent that blocks nothing, the launcher guards SIGUSR1 from its first line', async () => {
    const p = await boot('unblocked')
    const pid = p.child.pid!
    // Before that line runs the signal's default action would end the
    // process (as for any program); from it on, ignored, then blocked.
    await waitFor(() => {
      const d = signalDisposition('SIGUSR1', pid)
      return d.ignored || d.blocked
    }, 'the launcher to guard SIGUSR1')
    p.child.kill('SIGUSR1')
    await waitFor(() => p.stdout().includes(`up ${pid}`), 'the program to boot')
    p.child.stdin!.write('install\n')
    await waitFor(() => p.stdout().includes('installed'), 'the handler to be installed')
    p.child.kill('SIGUSR1')
    await waitFor(() => /got [12]/.test(p.stdout()), 'a SIGUSR1 to reach the handler')
    expect(await listening(p.port)).toBe(false)
    expect(p.stderr()).not.toContain('Debugger listening')
  })

  it('the same program started plainly opens the inspector on SIGUSR1 (what the launcher prevents)', async () => {
    const p = await boot('plain')
    await waitFor(() => p.stdout().includes('up '), 'the program to boot')
    p.child.kill('SIGUSR1')
    await waitFor(() => p.stderr().includes('Debugger listening'), 'the inspector to open')
    expect(await listening(p.port)).toBe(true)
  })
})
