// The supervision core with real processes: test/fixtures/core-child.mjs
// speaks the protocol by hand.
import { once } from 'node:events'
import { alive } from '@forklift/test-utils'
import { describe, expect, onTestFinished, test } from 'vitest'
import { type Child, checkWorkers, forkChild } from '../dist/child.js'
import { fixture } from './helpers.js'

function child(mode: string, execArgv: string[] = []): Child {
  const c = forkChild({ module: fixture('core-child.mjs'), args: [mode], execArgv })
  onTestFinished(() => {
    if (c.pid > 0 && alive(c.pid)) process.kill(c.pid, 'SIGKILL')
  })
  return c
}

describe('Child', () => {
  test('starting → ready → stopping → exited; terminate() makes the exit intentional', async () => {
    const c = child('ready')
    expect(c.state).toBe('starting')
    await once(c, 'ready')
    expect(c.state).toBe('ready')
    expect(c.readyAt).toBeGreaterThanOrEqual(c.startedAt)
    const exited = c.terminate(5000)
    expect(c.state).toBe('stopping')
    expect(await exited).toMatchObject({
      code: null,
      signal: 'SIGTERM',
      intentional: true,
      forced: false,
      wasReady: true,
    })
    expect(c.state).toBe('exited')
  })

  test('a kill from outside is a crash, not intentional', async () => {
    const c = child('ready')
    await once(c, 'ready')
    process.kill(c.pid, 'SIGKILL')
    expect(await c.exited).toMatchObject({ signal: 'SIGKILL', intentional: false, forced: false })
  })

  test('terminate(graceMs): SIGKILL once the grace ran out, forced', async () => {
    const c = child('stubborn')
    await once(c, 'ready')
    let forcedAt = 0
    const t0 = Date.now()
    const exit = await c.terminate(300, { onForce: () => (forcedAt = Date.now()) })
    expect(exit).toMatchObject({ signal: 'SIGKILL', intentional: true, forced: true })
    expect(forcedAt - t0).toBeGreaterThanOrEqual(250)
  })

  test('terminate with a message asks by message; a later terminate() hurries it with a signal', async () => {
    const drained = child('crash')
    await once(drained, 'ready')
    const message = { forklift: 1, type: 'pool-drain', idleGraceMs: 0 } as const
    expect(await drained.terminate(5000, { message })).toMatchObject({
      code: 3,
      signal: null,
      intentional: true,
    })
    const stubborn = child('stubborn')
    await once(stubborn, 'ready')
    // 'stubborn' ignores the drain: only the signal of the second call ends it.
    void stubborn.terminate(Number.POSITIVE_INFINITY, { message, signal: 'SIGINT' })
    expect(await stubborn.terminate(Number.POSITIVE_INFINITY, { signal: 'SIGINT' })).toMatchObject({
      signal: 'SIGINT',
      intentional: true,
      forced: false,
    })
  })

  test('a failure sent just before exiting is reported with the exit', async () => {
    const c = child('fail')
    const exit = await c.exited
    expect(exit).toMatchObject({ code: 1, wasReady: false, intentional: false })
    expect(exit.failure?.message).toBe('no database')
  })

  test('send() and kill() after the exit neither throw nor reach anything', async () => {
    const c = child('ready')
    await once(c, 'ready')
    await c.terminate(5000)
    expect(await c.send({ forklift: 1, type: 'pool-drain', idleGraceMs: 0 })).toBe(false)
    expect(c.kill('SIGTERM')).toBe(false)
    expect(await c.terminate(10)).toMatchObject({ signal: 'SIGTERM' })
  })

  test('a failed fork is an exit with the spawn error, never a throw', async () => {
    const c = forkChild({ module: fixture('core-child.mjs'), cwd: '/nonexistent/forklift-dir' })
    const exit = await c.exited
    expect(c.pid).toBe(-1)
    expect(exit.spawnError?.message).toMatch(/ENOENT/)
    expect(exit.intentional).toBe(false)
  })

  test('every child gets --disable-sigusr1 beside the given Node options', async () => {
    const c = child('echo-argv', ['--no-warnings'])
    const [ready] = (await once(c, 'ready')) as [{ address: string }]
    expect(ready.address.split(' ')).toEqual(['--no-warnings', '--disable-sigusr1'])
  })
})

describe('checkWorkers', () => {
  test('one rule and one error for every supervisor: an integer >= 1', () => {
    expect(checkWorkers(3)).toBe(3)
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => checkWorkers(bad)).toThrow(
        expect.objectContaining({ code: 'E_SUPERVISOR_WORKERS' }),
      )
    }
  })
})
