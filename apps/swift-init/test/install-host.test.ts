// Installing on a host (README "Installing on a host"): the apps deployed with
// their production dependencies and a bundled Node 24, launchers on PATH, run
// with a PATH whose `node` is the system's (Debian's Node 20 at /usr/bin/node).
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { alive, freePort, tempDir, waitGone } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { APP, Site } from './_helpers.js'

const REPO = join(APP, '..', '..')
const WSGI_BUILT = existsSync(join(REPO, 'apps', 'wsgi-server', 'dist', 'main.js'))
// The system's directories only: /usr/bin/node (when there) is the machine's own Node.
const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin'

describe('install-host', () => {
  it.skipIf(!existsSync('/usr/bin/node'))(
    'refuses a Node older than the apps need, in one line, before installing anything',
    () => {
      const prefix = tempDir('forklift-host-')
      const install = spawnSync(
        process.execPath,
        [join(APP, 'scripts', 'install-host.mjs'), '--prefix', prefix, '--node', '/usr/bin/node'],
        { encoding: 'utf8', timeout: 60_000 },
      )
      expect(install.status).toBe(1)
      expect(install.stderr).toMatch(
        /^install-host: \/usr\/bin\/node is Node 20\.[\d.]+; @forklift\/[a-z-]+ needs Node [^\n]+\n$/,
      )
      expect(existsSync(join(prefix, 'bin'))).toBe(false)
    },
  )

  it('deploys swift-init (and the servers) with a bundled Node that runs whatever the system node is', async () => {
    const prefix = tempDir('forklift-host-')
    const apps = [
      '--app',
      '@forklift/swift-init',
      ...(WSGI_BUILT ? ['--app', '@forklift/wsgi-server'] : []),
    ]
    const install = spawnSync(
      process.execPath,
      [join(APP, 'scripts', 'install-host.mjs'), '--prefix', prefix, ...apps],
      { encoding: 'utf8', timeout: 240_000 },
    )
    expect(install.status, install.stderr + install.stdout).toBe(0)
    expect(install.stdout).toContain(`${prefix}/bin/swift-init -> @forklift/swift-init`)

    const env = { PATH: `${prefix}/bin:${SYSTEM_PATH}`, HOME: prefix }
    if (existsSync('/usr/bin/node')) {
      const systemNode = execFileSync('sh', ['-c', 'node -v'], { env, encoding: 'utf8' }).trim()
      console.log(`system node on that PATH: ${systemNode}`)
    }
    const help = spawnSync('swift-init', ['--help'], { env, encoding: 'utf8' })
    expect([help.status, help.stderr]).toEqual([0, ''])
    expect(help.stdout).toMatch(/^Usage: swift-init /)
    expect(help.stdout).toContain('reload-seamless: ')
    const bundled = execFileSync(
      join(prefix, 'lib', 'node', 'bin', 'node'),
      ['-p', 'process.version'],
      {
        encoding: 'utf8',
      },
    ).trim()
    expect(bundled).toBe(process.version)

    if (!WSGI_BUILT) return
    // Our object server through the launchers, on the bundled Node.
    const site = new Site()
    const conf = site.conf('object-server.conf')
    writeFileSync(
      conf,
      `[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = ${await freePort()}\nworkers = 0\nuser =\nlog_file = ${site.root}/object.log\n\n[pipeline:main]\npipeline = healthcheck object-server\n\n[filter:healthcheck]\nuse = forklift#healthcheck\n\n[app:object-server]\nuse = forklift#hello\n`,
    )
    const dirs = ['--conf-dir', site.etc, '-r', site.run]
    const start = spawnSync('swift-init', ['object', 'start', ...dirs], {
      env,
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(start.status, start.stdout + start.stderr).toBe(0)
    const pid = site.readPid('object-server.pid')
    onTestFinished(() => {
      if (alive(pid)) process.kill(pid, 'SIGKILL')
    })
    expect(readlinkSync(`/proc/${pid}/exe`)).toBe(join(prefix, 'lib', 'node', 'bin', 'node'))
    // The launcher exec'd the bundled Node itself, with the debugger signal disabled.
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, 3)).toEqual([
      join(prefix, 'lib', 'node', 'bin', 'node'),
      '--disable-sigusr1',
      join(prefix, 'lib', 'wsgi-server', 'bin', 'swift-object-server'),
    ])
    const status = spawnSync('swift-init', ['object', 'status', ...dirs], { env, encoding: 'utf8' })
    expect([status.status, status.stdout]).toEqual([
      0,
      `object-server running (${pid} - ${conf})\n`,
    ])
    const stop = spawnSync('swift-init', ['object', 'stop', ...dirs], { env, encoding: 'utf8' })
    expect(stop.status).toBe(0)
    await waitGone(pid)
  })
})
