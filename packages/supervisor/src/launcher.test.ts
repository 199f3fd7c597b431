// In-process checks of the launchers' API; the signal and process behaviour
// is tested with real processes in test/launcher.test.ts.
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { launch, launcherOptionsFromConf, ProcessLauncher, ServiceLauncher } from './launcher.js'
import { Service } from './service.js'

const quiet = { handleSignals: false, notify: false } as const

describe('ServiceLauncher', () => {
  it('refuses more than one worker', () => {
    const launcher = new ServiceLauncher(quiet)
    expect(() => launcher.launchService(new Service(), 2)).toThrow(
      expect.objectContaining({ code: 'E_SUPERVISOR_WORKERS' }),
    )
    void launcher.stop()
  })

  it('starts services, is ready, and stops them gracefully with status 0', async () => {
    const launcher = new ServiceLauncher(quiet)
    const svc = new Service()
    const ready = new Promise((r) => launcher.once('ready', r))
    const handle = launcher.launchService(svc)
    expect(await handle.started).toEqual({ ok: true })
    await ready
    expect(handle.state).toBe('running')
    expect(handle.pids()).toEqual([process.pid])
    const code = launcher.wait()
    expect(await launcher.stop()).toBe(0)
    expect(await code).toBe(0)
    expect(svc.stopping).toBe(true)
  })

  it('stops with status 1 when a service fails to start', async () => {
    const launcher = new ServiceLauncher(quiet)
    class Failing extends Service {
      override start() {
        throw new Error('no database')
      }
    }
    const other = new Service()
    launcher.launchService(other)
    const handle = launcher.launchService(new Failing())
    const result = await handle.started
    expect(result.ok).toBe(false)
    expect(!result.ok && result.error.message).toBe('no database')
    expect(await launcher.wait()).toBe(1)
    expect(other.stopping).toBe(true)
  })

  it('gives up on a hung stop after graceful_shutdown_timeout with status 1', async () => {
    const launcher = new ServiceLauncher({ ...quiet, gracefulShutdownTimeout: 0.2 })
    class Hung extends Service {
      override stop() {
        return new Promise<void>(() => {})
      }
    }
    launcher.launchService(new Hung())
    const t0 = Date.now()
    expect(await launcher.stop()).toBe(1)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150)
  })

  it('loads a spec in this process, and restarts it (reload: stop, reset, start)', async () => {
    const launcher = new ServiceLauncher({ ...quiet, reloadConfig: () => {} })
    const handle = launcher.launchService({
      module: fileURLToPath(new URL('../test/fixtures/services.mjs', import.meta.url)),
      export: 'createTestService',
      options: {},
      name: 'fixture',
    })
    expect(handle.name).toBe('fixture')
    expect(await handle.started).toEqual({ ok: true })
    const ready = new Promise((r) => launcher.once('ready', r))
    await launcher.restart()
    await ready
    expect(handle.state).toBe('running')
    expect(await launcher.stop()).toBe(0)
  })
})

describe('launch', () => {
  it('picks the launcher from the worker count and refuses to fork a live object', async () => {
    const l = launch(new Service(), 1, quiet)
    expect(l).toBeInstanceOf(ServiceLauncher)
    await l.stop()
    expect(() => launch(new Service(), 2, quiet)).toThrow(/cannot run a live service object in 2/)
    expect(() => launch(new Service(), 0, quiet)).toThrow(/positive integer, got 0/)
  })

  it('rejects a relative module path and an unresolvable specifier at once', () => {
    const l = new ServiceLauncher(quiet)
    expect(() => l.launchService({ module: './x.js' })).toThrow(/absolute path/)
    expect(() => l.launchService({ module: 'no-such-package-here' })).toThrow(
      expect.objectContaining({ code: 'E_SUPERVISOR_SERVICE_LOAD' }),
    )
    void l.stop()
  })
})

describe('launchService names the contract it expected', () => {
  it('a ServiceLauncher: a service or a spec', () => {
    const l = new ServiceLauncher(quiet)
    expect(() => l.launchService({} as never)).toThrow(
      'launchService expects a service (an object with start(), stop(), wait() and reset()) or a spec { module: an absolute path, file: URL or package, export?, options?, name? }; got an object with no keys (no module)',
    )
    expect(() => l.launchService({ start() {}, stop() {} } as never)).toThrow(
      /got an object with keys start, stop \(no wait, reset\)$/,
    )
    expect(() => l.launchService(null as never)).toThrow(/; got null$/)
    void l.stop()
  })

  it('a ProcessLauncher: a spec only', () => {
    const l = new ProcessLauncher(quiet)
    expect(() => l.launchService({ module: 3 } as never)).toThrow(
      expect.objectContaining({
        code: 'E_SUPERVISOR_SERVICE_LOAD',
        message: expect.stringMatching(
          /^launchService expects a spec \{ module: .*\(a live object cannot be handed to a worker process\); got an object with keys module \(module is not a string\)$/,
        ),
      }),
    )
    void l.stop()
  })
})

describe('launcherOptionsFromConf', () => {
  it('reads graceful_shutdown_timeout and restart_method, naming a bad key', () => {
    expect(
      launcherOptionsFromConf({ graceful_shutdown_timeout: '0', restart_method: 'mutate' }),
    ).toEqual({
      gracefulShutdownTimeout: 0,
      restartMethod: 'mutate',
    })
    expect(launcherOptionsFromConf({})).toEqual({})
    expect(() => launcherOptionsFromConf({ graceful_shutdown_timeout: 'soon' })).toThrow(
      /graceful_shutdown_timeout must be/,
    )
    expect(() => launcherOptionsFromConf({ restart_method: 'bounce' })).toThrow(/restart_method/)
  })
})
