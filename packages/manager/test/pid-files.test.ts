import { spawn } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { alive, killOnFinish, procStat, waitFor } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { Sandbox } from './_sandbox.js'

function liveSleep(): number {
  return killOnFinish(spawn('sleep', ['300'], { stdio: 'ignore' })).pid!
}

async function deadPid(): Promise<number> {
  const child = spawn('true', { stdio: 'ignore' })
  await new Promise((r) => child.once('exit', r))
  return child.pid!
}

describe('pid files that lie', () => {
  it('stale: removed quietly by status (and said so with -v), start goes ahead', async () => {
    const sb = new Sandbox().install('object-server')
    const conf = sb.conf('object-server.conf')
    mkdirSync(sb.run)
    const pid = await deadPid()
    writeFileSync(sb.pidFile('object-server.pid'), `${pid}\n`)
    expect(await sb.manager(['object']).status()).toBe(1)
    expect(sb.take()).toBe('No object-server running\n')
    expect(existsSync(sb.pidFile('object-server.pid'))).toBe(false)

    writeFileSync(sb.pidFile('object-server.pid'), `${pid}\n`)
    expect(await sb.manager(['object']).status({ verbose: true })).toBe(1)
    expect(sb.take()).toBe(
      `Removing stale pid file ${sb.pidFile('object-server.pid')}\nNo object-server running\n`,
    )

    writeFileSync(sb.pidFile('object-server.pid'), `${pid}\n`)
    expect(await sb.manager(['object']).start()).toBe(0)
    expect(sb.take()).toBe(`Starting object-server...(${conf})\n`)
    expect(sb.readPid('object-server.pid')).not.toBe(pid)
  })

  it('stale on stop: the signal line, then the file goes', async () => {
    const sb = new Sandbox().install('object-server')
    sb.conf('object-server.conf')
    mkdirSync(sb.run)
    const pid = await deadPid()
    writeFileSync(sb.pidFile('object-server.pid'), `${pid}`)
    expect(await sb.manager(['object']).stop({ verbose: true })).toBe(1)
    expect(sb.take()).toBe(
      [
        `Signal object-server  pid: ${pid}  signal: 15`,
        `Removing stale pid file ${sb.pidFile('object-server.pid')}`,
        'No object-server running',
        '',
      ].join('\n'),
    )
  })

  it('garbage, 0, negative: removed with a message', async () => {
    const sb = new Sandbox().install('object-server')
    sb.conf('object-server/1.conf')
    sb.conf('object-server/2.conf')
    sb.conf('object-server/3.conf')
    mkdirSync(join(sb.run, 'object-server'), { recursive: true })
    writeFileSync(sb.pidFile('object-server/1.pid'), 'garbage\n')
    writeFileSync(sb.pidFile('object-server/2.pid'), '0')
    writeFileSync(sb.pidFile('object-server/3.pid'), '-1')
    expect(await sb.manager(['object']).status()).toBe(1)
    expect(sb.take()).toBe(
      `${[1, 2, 3]
        .map((n) => `Removing pid file ${sb.pidFile(`object-server/${n}.pid`)} with invalid pid\n`)
        .join('')}No object-server running\n`,
    )
    for (const n of [1, 2, 3]) expect(existsSync(sb.pidFile(`object-server/${n}.pid`))).toBe(false)
  })

  it('a pid taken by an unrelated live process: never signalled, pid file removed', async () => {
    const sb = new Sandbox().install('object-server')
    sb.conf('object-server.conf')
    mkdirSync(sb.run)
    const stranger = liveSleep()
    writeFileSync(sb.pidFile('object-server.pid'), `${stranger}\n`)
    expect(await sb.manager(['object']).stop({ verbose: true, killWait: 1 })).toBe(1)
    expect(sb.take()).toBe(
      `Removing pid file ${sb.pidFile('object-server.pid')} with wrong pid ${stranger}\nNo object-server running\n`,
    )
    expect(alive(stranger)).toBe(true)
    expect(existsSync(sb.pidFile('object-server.pid'))).toBe(false)

    for (const cmd of ['kill', 'shutdown', 'reload-seamless', 'status'] as const) {
      writeFileSync(sb.pidFile('object-server.pid'), `${stranger}\n`)
      await sb.manager(['object']).run(cmd, { killWait: 1 })
      expect(sb.take()).not.toContain('Signal')
      expect(alive(stranger)).toBe(true)
      expect(existsSync(sb.pidFile('object-server.pid'))).toBe(false)
    }
  })

  it('a symlink planted in the run dir is removed, not followed, and start writes a real file', async () => {
    const sb = new Sandbox().install('object-server')
    const conf = sb.conf('object-server.conf')
    mkdirSync(sb.run)
    const victim = join(sb.root, 'victim')
    writeFileSync(victim, String(process.pid))
    symlinkSync(victim, sb.pidFile('object-server.pid'))
    expect(await sb.manager(['object']).start()).toBe(0)
    expect(sb.take()).toBe(
      `Removing pid file ${sb.pidFile('object-server.pid')} with invalid pid\nStarting object-server...(${conf})\n`,
    )
    expect(alive(sb.readPid('object-server.pid'))).toBe(true)
    expect(readFileSync(victim, 'utf8')).toBe(String(process.pid))
    expect(lstatSync(sb.pidFile('object-server.pid')).isSymbolicLink()).toBe(false)
  })

  it('a zombie: status -v and stop -v word it by what /proc says (a wrong pid), nothing is sent', async () => {
    const sb = new Sandbox().install('object-server')
    sb.conf('object-server.conf')
    mkdirSync(sb.run)
    // A child its parent (a shell) never reaps.
    const shell = killOnFinish(
      spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 300'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    )
    const zombie = Number(
      (await new Promise<Buffer>((r) => shell.stdout!.once('data', r))).toString(),
    )
    await waitFor(() => procStat(zombie)?.[0] === 'Z', 'a zombie', 10_000, 20)
    const pidFile = sb.pidFile('object-server.pid')
    writeFileSync(pidFile, `${zombie}\n`)
    expect(await sb.manager(['object']).status({ verbose: true })).toBe(1)
    expect(sb.take()).toBe(
      `Removing pid file ${pidFile} with wrong pid ${zombie}\nNo object-server running\n`,
    )
    // stop: swift's kill of a zombie succeeds and the wait sees it gone.
    writeFileSync(pidFile, `${zombie}\n`)
    expect(await sb.manager(['object']).stop({ verbose: true, killWait: 2 })).toBe(0)
    expect(sb.take()).toBe(
      [
        `Signal object-server  pid: ${zombie}  signal: 15`,
        `Removing pid file ${pidFile} with wrong pid ${zombie}`,
        `object-server (${zombie}) appears to have stopped`,
        '',
      ].join('\n'),
    )
  })

  it('--kill-after-timeout re-checks the pid: a stranger that took it is not killed', () => {
    const sb = new Sandbox().install('object-server')
    sb.conf('object-server.conf')
    mkdirSync(sb.run)
    const stranger = liveSleep()
    const pidFile = sb.pidFile('object-server.pid')
    writeFileSync(pidFile, `${stranger}\n`)
    const [server] = sb.manager(['object']).servers
    server!.killGroup(stranger, pidFile, true)
    expect(sb.take()).toBe(`Removing pid file ${pidFile} with wrong pid ${stranger}\n`)
    expect(alive(stranger)).toBe(true)
  })
})

describe('server names', () => {
  it('are case-sensitive, as swift: the binary is looked up by the name as given', async () => {
    const sb = new Sandbox().install('object-server')
    sb.conf('object-server.conf')
    for (const name of ['OBJECT', 'Object-Server', 'object-SERVER', 'Main', 'ALL', 'OBJECT*']) {
      const m = sb.manager([name])
      expect([name, m.servers.length]).toEqual([name, 0])
      expect(await m.status()).toBe(1)
      expect(sb.take()).toBe('')
    }
    expect(sb.manager(['object']).servers.length).toBe(1)
    expect(sb.manager(['object-server.1']).servers.length).toBe(1)
  })
})
