// swift-init reload-seamless and swift-reload against real servers: both
// wait for the server's word on its per-pid notification socket, exit 0 when
// the reload is done and non-zero with the reason when it was refused, and a
// refused reload leaves the old workers serving.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { type AddressInfo, createServer } from 'node:net'
import { join } from 'node:path'
import { alive, childPids, freePort, killOwned, spawnCollect, tempDir } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { BIN_DIR, get, REPO, waitFor, writeConf } from './helpers.js'

const BIN = 'swift-object-server'
const SWIFT_INIT = join(REPO, 'apps/swift-init/bin/swift-init.mjs')
const SWIFT_RELOAD = join(REPO, 'apps/swift-init/bin/swift-reload.mjs')

/** A site with our real object server under its Swift name, driven by our swift-init. */
async function site(extra = 'workers = 2') {
  const root = tempDir('fl-rld-')
  const etc = join(root, 'etc')
  const run = join(root, 'run')
  const bin = join(root, 'bin')
  for (const d of [etc, run, bin]) mkdirSync(d, { recursive: true })
  writeFileSync(
    join(bin, BIN),
    `#!/bin/sh\nexec ${process.execPath} ${join(BIN_DIR, BIN)} "$@"\n`,
    {
      mode: 0o755,
    },
  )
  const port = await freePort()
  const conf = (more: string, message: string, atPort = port, app?: string) =>
    writeConf(etc, {
      port: atPort,
      extra: `${extra}\nbind_timeout = 1\n${more}`,
      message,
      ...(app ? { app } : {}),
    })
  conf('', 'before')
  const pidFile = join(run, 'object-server.pid')
  onTestFinished(() => {
    try {
      killOwned([Number(readFileSync(pidFile, 'utf8'))], root)
    } catch {}
  })
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, NOTIFY_SOCKET: '' }
  const cmd = async (script: string, args: string[], withEnv = env) => {
    const p = spawnCollect(process.execPath, [script, ...args], { env: withEnv })
    const e = await p.closed
    return { code: e.code, out: `${p.stdout()}${p.stderr()}` }
  }
  const swiftInit = (...args: string[]) =>
    cmd(SWIFT_INIT, ['object', ...args, '--conf-dir', etc, '-r', run])
  // The machine's older node first on PATH: the config check must run on
  // the server's own Node, not on whatever `node` PATH finds.
  const swiftReload = (...args: string[]) =>
    cmd(SWIFT_RELOAD, args, { ...env, PATH: `/usr/local/bin:/usr/bin:/bin:${env.PATH}` })
  return {
    port,
    conf,
    swiftInit,
    swiftReload,
    pid: () => Number(readFileSync(pidFile, 'utf8')),
  }
}

/** A port listened on here (without SO_REUSEPORT): a server cannot bind it. */
async function listening(): Promise<{ port: number }> {
  const srv = createServer()
  onTestFinished(() => {
    srv.close()
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  return { port: (srv.address() as AddressInfo).port }
}

/** The live workers of `pid` once there are `n` (the old generation of a reload drains a while). */
function settled(pid: number, n = 2): Promise<number[]> {
  return waitFor(() => {
    const live = childPids(pid).filter(alive)
    return live.length === n ? live.sort() : undefined
  }, `${n} workers`)
}

async function body(port: number): Promise<string> {
  return (await get(`http://127.0.0.1:${port}/`)).body
}

describe('reload that reports its outcome', () => {
  it('swift-init reload-seamless: exit 0 once done; exit 1 with the reason when refused, old workers serving', async () => {
    const s = await site()
    expect((await s.swiftInit('start')).code).toBe(0)
    const pid = s.pid()
    s.conf('', 'after')
    const done = await s.swiftInit('reload-seamless')
    expect(done.code, done.out).toBe(0)
    // Done means done: the new config answers at once, no polling.
    expect(await body(s.port)).toContain('after')
    const workers = await settled(pid)

    s.conf('workers = many', 'broken')
    const refused = await s.swiftInit('reload-seamless')
    expect(refused.code).toBe(1)
    expect(refused.out).toMatch(
      new RegExp(`object-server \\(${pid}\\) refused the reload: .*object-server\\.conf.*workers`),
    )
    expect(await body(s.port)).toContain('after')

    // A port another process holds: the config is fine, binding it is not.
    const held = await listening()
    s.conf('', 'moved', held.port)
    const bindRefused = await s.swiftInit('reload-seamless', '-v')
    expect(bindRefused.code).toBe(1)
    expect(bindRefused.out).toContain('refused the reload')
    expect(bindRefused.out).toContain(`${held.port}`)
    expect(await settled(pid)).toEqual(workers)
    expect(await body(s.port)).toContain('after')
    expect((await s.swiftInit('stop')).code).toBe(0)
  })

  it('swift-reload PID: checks the config first, exit 0 once done, 1 with the reason when refused', async () => {
    const s = await site()
    expect((await s.swiftInit('start')).code).toBe(0)
    const pid = s.pid()
    const workers = childPids(pid).filter(alive)

    s.conf('', 'after')
    const done = await s.swiftReload('-v', String(pid))
    expect(done.code, done.out).toBe(0)
    expect(done.out).toContain(`Checking config for ${BIN}`)
    expect(done.out).toContain('Process is RELOADING')
    expect(done.out).toContain('Process is READY')
    expect(done.out).toContain(`Reloaded ${BIN}`)
    expect(await body(s.port)).toContain('after')
    const after = await settled(pid)

    // A config the check rejects: never signalled.
    s.conf('workers = many', 'broken')
    const bad = await s.swiftReload(String(pid))
    expect(bad.code).toBe(1)
    expect(bad.out).toMatch(/object-server\.conf.*workers/)
    expect(bad.out).toContain('Failed to validate config')

    // One the server itself refuses: the reason comes back from it.
    const held = await listening()
    s.conf('', 'moved', held.port)
    const refused = await s.swiftReload(String(pid))
    expect(refused.code).toBe(1)
    expect(refused.out).toMatch(new RegExp(`Reload of ${BIN} refused: .*${held.port}`))
    expect(await settled(pid)).toEqual(after)
    expect(await body(s.port)).toContain('after')

    // A worker is not a manager; a stranger is not a server.
    const worker = await s.swiftReload(String(after[0]))
    expect(worker.code).toBe(2)
    expect(worker.out).toContain(
      `Process appears to be a ${BIN} worker, not a manager. Did you mean ${pid}?`,
    )
    expect((await s.swiftReload(String(process.pid))).code).toBe(2)
    await waitFor(() => !workers.some(alive), 'the first workers to have drained')
  })

  it('workers = 0: an app that does not load is refused with its name, the running app serves on', async () => {
    const s = await site('workers = 0')
    expect((await s.swiftInit('start')).code).toBe(0)
    const pid = s.pid()
    s.conf('', 'after')
    expect((await s.swiftInit('reload-seamless')).code).toBe(0)
    expect(await body(s.port)).toContain('after')
    s.conf('', 'never', s.port, './no-such-app.mjs#app')
    const refused = await s.swiftInit('reload-seamless')
    expect(refused.code).toBe(1)
    expect(refused.out).toMatch(
      new RegExp(`object-server \\(${pid}\\) refused the reload: .*no-such-app\\.mjs`),
    )
    expect(await body(s.port)).toContain('after')
    expect(s.pid()).toBe(pid)
  })
})
