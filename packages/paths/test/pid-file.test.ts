import { execFileSync, spawn } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { killOnFinish, procStat, tempDir, waitFor } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  checkProcess,
  ensureRunDir,
  inspectPidFile,
  matchServerArgv,
  PathsError,
  parsePid,
  readPidFile,
  removePidFile,
  writePidFile,
} from '../src/index.js'

const SERVER = { command: 'swift-object-server' }

function spawnSleep(argv0?: string) {
  return killOnFinish(spawn('sleep', ['300'], { stdio: 'ignore', ...(argv0 ? { argv0 } : {}) }))
}

describe('parsePid', () => {
  it('tolerates whitespace, rejects garbage, 0 and negatives', () => {
    expect(parsePid('1234')).toBe(1234)
    expect(parsePid('  1234\n')).toBe(1234)
    expect(parsePid('\t+77 \r\n')).toBe(77)
    for (const bad of ['', ' ', 'abc', '12abc', '0', '-5', '1.5', '1 2', '99999999999']) {
      expect(parsePid(bad), bad).toBeUndefined()
    }
  })
})

describe('writePidFile', () => {
  it('writes atomically with mode 0644, creating run dir and subdirs, leaving no temporaries', () => {
    const run = join(tempDir(), 'run', 'swift')
    const old = process.umask(0o077)
    try {
      writePidFile(join(run, 'object-server.pid'), 4242, { runDir: run })
      writePidFile(join(run, 'object-server', '2.pid'), 4243, { runDir: run })
    } finally {
      process.umask(old)
    }
    expect(readFileSync(join(run, 'object-server.pid'), 'utf8')).toBe('4242\n')
    expect(statSync(join(run, 'object-server.pid')).mode & 0o777).toBe(0o644)
    expect(statSync(join(run, 'object-server', '2.pid')).mode & 0o777).toBe(0o644)
    expect(readdirSync(join(run, 'object-server'))).toEqual(['2.pid'])
    expect(readPidFile(join(run, 'object-server', '2.pid'))).toEqual({ state: 'ok', pid: 4243 })
    // Rewriting replaces the content.
    writePidFile(join(run, 'object-server.pid'), 99, { runDir: run })
    expect(readFileSync(join(run, 'object-server.pid'), 'utf8')).toBe('99\n')
  })

  it('replaces a symlink planted at the pid path instead of writing through it', () => {
    const run = tempDir()
    const victim = join(tempDir(), 'victim')
    writeFileSync(victim, 'precious')
    symlinkSync(victim, join(run, 'object-server.pid'))
    writePidFile(join(run, 'object-server.pid'), 4242, { runDir: run })
    expect(readFileSync(victim, 'utf8')).toBe('precious')
    expect(lstatSync(join(run, 'object-server.pid')).isSymbolicLink()).toBe(false)
    expect(readFileSync(join(run, 'object-server.pid'), 'utf8')).toBe('4242\n')
  })

  it('refuses a symlinked subdir planted in the run dir', () => {
    const run = tempDir()
    const elsewhere = tempDir()
    symlinkSync(elsewhere, join(run, 'object-server'))
    expect(() => writePidFile(join(run, 'object-server', '1.pid'), 1, { runDir: run })).toThrow(
      expect.objectContaining({ code: 'E_RUN_DIR_SYMLINK' }),
    )
    expect(readdirSync(elsewhere)).toEqual([])
  })

  it('refuses a run dir that is a symlink, or that another user can write into', () => {
    const base = tempDir()
    mkdirSync(join(base, 'real'))
    symlinkSync(join(base, 'real'), join(base, 'link'))
    expect(() => ensureRunDir(join(base, 'link'))).toThrow(
      /refusing run dir .*link: it is a symlink/,
    )
    const dir = join(base, 'dir')
    mkdirSync(dir)
    for (const [mode, why] of [
      [0o777, 'writable by its group and others (mode 777)'],
      [0o1777, 'writable by its group and others (mode 1777)'],
      [0o1757, 'writable by others (mode 1757)'],
      [0o775, 'writable by its group (mode 775)'],
    ] as const) {
      chmodSync(dir, mode)
      expect(() => writePidFile(join(dir, 'x.pid'), 1, { runDir: dir })).toThrow(
        `refusing run dir ${dir}: ${why}`,
      )
      expect(readdirSync(dir)).toEqual([])
    }
    chmodSync(dir, 0o755)
    writePidFile(join(dir, 'x.pid'), 1, { runDir: dir })
    expect(readPidFile(join(dir, 'x.pid'))).toEqual({ state: 'ok', pid: 1 })
    // A subdir inside it is judged the same way.
    mkdirSync(join(dir, 'object-server'), { mode: 0o770 })
    chmodSync(join(dir, 'object-server'), 0o770)
    expect(() => ensureRunDir(dir, join(dir, 'object-server'))).toThrow(
      `refusing run dir ${dir}: ${join(dir, 'object-server')} is writable by its group (mode 770)`,
    )
  })

  it('refuses a run dir under a parent that others can write into without the sticky bit', () => {
    const base = tempDir()
    const parent = join(base, 'shared')
    mkdirSync(join(parent, 'run'), { recursive: true })
    chmodSync(parent, 0o777)
    expect(() => ensureRunDir(join(parent, 'run'))).toThrow(
      `refusing run dir ${join(parent, 'run')}: its parent ${parent} is writable by others and not sticky (mode 777)`,
    )
    // Sticky (as /tmp): only the owner may rename the run dir, so it is fine.
    chmodSync(parent, 0o1777)
    ensureRunDir(join(parent, 'run'))
  })

  it.skipIf(process.getuid?.() !== 0)(
    'as root, refuses a run dir or parent owned by another user',
    () => {
      const base = tempDir()
      const dir = join(base, 'run')
      mkdirSync(dir)
      chownSync(dir, 65534, 65534)
      expect(() => ensureRunDir(dir)).toThrow(
        `refusing run dir ${dir}: owned by uid 65534 (not root)`,
      )
      chownSync(dir, 0, 0)
      chownSync(base, 65534, 65534)
      expect(() => ensureRunDir(dir)).toThrow(
        `refusing run dir ${dir}: its parent ${base} is owned by uid 65534 (not root)`,
      )
    },
  )

  it('refuses a pid path outside the run dir', () => {
    const run = tempDir()
    expect(() => writePidFile(join(run, '..', 'x.pid'), 1, { runDir: run })).toThrow(
      expect.objectContaining({ code: 'E_PID_FILE_OUTSIDE' }),
    )
  })

  it("says swift-init's words when the run dir cannot be created", () => {
    const base = tempDir()
    writeFileSync(join(base, 'file'), '')
    let err: unknown
    try {
      writePidFile(join(base, 'file', 'run', 'x.pid'), 1, { runDir: join(base, 'file', 'run') })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(PathsError)
    expect((err as PathsError).code).toBe('E_RUN_DIR_CREATE')
    expect((err as PathsError).message).toMatch(/^Unable to create /)
  })
})

describe('inspectPidFile', () => {
  it('missing, invalid (garbage, 0, negative, empty, huge, symlink, fifo, dir)', () => {
    const run = tempDir()
    const p = (n: string) => join(run, n)
    expect(inspectPidFile(p('none.pid'), { server: SERVER }).state).toBe('missing')
    for (const [name, content] of [
      ['garbage.pid', 'not a pid\n'],
      ['zero.pid', '0'],
      ['negative.pid', '-1'],
      ['empty.pid', ''],
      ['huge.pid', '1'.repeat(100)],
    ] as const) {
      writeFileSync(p(name), content)
      const info = inspectPidFile(p(name), { server: SERVER })
      expect([name, info.state, info.pid]).toEqual([name, 'invalid', undefined])
    }
    writeFileSync(p('target'), String(process.pid))
    symlinkSync(p('target'), p('link.pid'))
    expect(inspectPidFile(p('link.pid'), { server: SERVER }).state).toBe('invalid')
    mkdirSync(p('dir.pid'))
    expect(inspectPidFile(p('dir.pid'), { server: SERVER }).state).toBe('invalid')
    execFileSync('mkfifo', [p('fifo.pid')])
    expect(inspectPidFile(p('fifo.pid'), { server: SERVER }).state).toBe('invalid')
  })

  it('stale: the process is gone', async () => {
    const run = tempDir()
    const child = spawnSleep()
    const pid = child.pid!
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    writeFileSync(join(run, 'x.pid'), ` ${pid} \n`)
    const info = inspectPidFile(join(run, 'x.pid'), { server: SERVER })
    expect([info.state, info.pid]).toEqual(['stale', pid])
  })

  it('foreign: a live unrelated process holds the pid, and it is left alone', () => {
    const run = tempDir()
    const child = spawnSleep()
    writeFileSync(join(run, 'object-server.pid'), `${child.pid}\n`)
    const info = inspectPidFile(join(run, 'object-server.pid'), { server: SERVER })
    expect([info.state, info.pid, info.cmdline]).toEqual(['foreign', child.pid, ['sleep', '300']])
    expect(child.exitCode).toBeNull()
    expect(removePidFile(join(run, 'object-server.pid'))).toBe(true)
    expect(removePidFile(join(run, 'object-server.pid'))).toBe(false)
  })

  it('running: the live process names the server', () => {
    const run = tempDir()
    const child = spawnSleep('/usr/local/bin/swift-object-server')
    writeFileSync(join(run, 'object-server.pid'), `${child.pid}`)
    const info = inspectPidFile(join(run, 'object-server.pid'), { server: SERVER })
    expect([info.state, info.pid, info.permitted]).toEqual(['running', child.pid, true])
    expect(
      inspectPidFile(join(run, 'object-server.pid'), { server: { command: 'swift-proxy-server' } })
        .state,
    ).toBe('foreign')
  })

  it('a zombie is dying', async () => {
    // A child that exits while its parent (a shell) does not reap it yet.
    const shell = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 300'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    onTestFinished(() => {
      shell.kill('SIGKILL')
    })
    const pid = Number((await new Promise<Buffer>((r) => shell.stdout.once('data', r))).toString())
    await waitFor(() => procStat(pid)?.[0] === 'Z', `pid ${pid} to be a zombie`, 10_000, 20)
    expect(checkProcess(pid, { command: 'sleep' }).state).toBe('dying')
  })
})

describe('checkProcess on a kernel thread', () => {
  const kthreadd = (() => {
    try {
      return readFileSync('/proc/2/stat', 'utf8').startsWith('2 (kthreadd)')
    } catch {
      return false
    }
  })()
  it.skipIf(!kthreadd)('an empty cmdline that is not dying is foreign', () => {
    expect(checkProcess(2, SERVER).state).toBe('foreign')
  })
})

describe('matchServerArgv', () => {
  const object = { command: 'swift-object-server', conf: '/etc/swift/object-server.conf' }
  const GATE = 'exec "$@"'
  const server = { ...object, shellWrappers: [GATE] }
  const conf = object.conf

  it('the ways a server is started: Python, Node (flags, env, launchers), a shell launcher, a gate', () => {
    for (const argv of [
      ['/usr/bin/python3', '/usr/bin/swift-object-server', conf],
      ['/usr/bin/python3', '-u', '/usr/bin/swift-object-server', conf, 'verbose'],
      ['python3.11', '-W', 'ignore', '/usr/bin/swift-object-server', conf, 'once'],
      ['node', '/opt/forklift/lib/wsgi-server/bin/swift-object-server', conf],
      [
        '/opt/forklift/bin/../lib/node/bin/node',
        '--disable-sigusr1',
        'x/bin/swift-object-server',
        conf,
      ],
      [
        'node',
        '--disable-sigusr1',
        '--max-old-space-size=512',
        '-r',
        'apm',
        '--',
        './swift-object-server',
        conf,
      ],
      ['/usr/bin/env', 'node', '/srv/bin/swift-object-server', conf],
      ['/usr/bin/env', '-S node --disable-sigusr1', '/srv/bin/swift-object-server', conf],
      ['/bin/sh', '/opt/forklift/bin/swift-object-server', conf],
      ['/usr/local/bin/swift-object-server', conf],
      ['/bin/sh', '-c', GATE, '/run/swift/object-server.pid', '/usr/bin/swift-object-server', conf],
      ['python3', '/usr/bin/swift-object-server', '/etc/swift/../swift/object-server.conf'],
    ]) {
      expect(matchServerArgv(argv, server), argv.join(' ')).toBe(true)
    }
  })

  it('near-miss strangers that mention the server are not it', () => {
    for (const argv of [
      ['python3', 'trap.py', '/var/log/swift-object-server.log'],
      ['python3', 'trap.py', '/usr/bin/swift-object-server', conf],
      ['tail', '-f', '/var/log/swift-object-server.log'],
      ['vi', '/etc/swift/swift-object-server.conf'],
      ['less', '/usr/bin/swift-object-server', conf],
      ['node', '-e', 'evil()', '/usr/bin/swift-object-server', conf],
      ['node', '--eval=evil()', '/usr/bin/swift-object-server', conf],
      ['python3', '-c', 'evil()', '/usr/bin/swift-object-server', conf],
      ['python3', '-m', 'swift-object-server', conf],
      ['node', '--check', '/usr/bin/swift-object-server', conf],
      ['/bin/sh', '-c', 'swift-object-server "$@"', 'x', conf],
      ['/bin/sh', '-c', GATE],
      ['node', '/usr/bin/swift-object-server-wrapper', conf],
      ['node', '/usr/bin/my-swift-object-server', conf],
      ['swift-object-server: master process'],
      ['/usr/bin/python3', '/usr/bin/swift-object-server', '/etc/swift/object-server/2.conf'],
      ['/usr/bin/python3', '/usr/bin/swift-object-server'],
      ['/usr/bin/python3', '/usr/bin/swift-proxy-server', conf],
      ['/usr/bin/swift-object-server'],
      ['sleep', '300'],
      [],
    ]) {
      expect(matchServerArgv(argv, server), argv.join(' ')).toBe(false)
    }
  })

  it('a relative conf is resolved against the process cwd, and symlinks are followed', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'object-server.conf'), '')
    symlinkSync(dir, join(dir, 'link'))
    const abs = { command: 'swift-object-server', conf: join(dir, 'object-server.conf') }
    expect(
      matchServerArgv(['python3', 'swift-object-server', 'object-server.conf'], abs, dir),
    ).toBe(true)
    expect(
      matchServerArgv(['python3', 'swift-object-server', 'object-server.conf'], abs, () => dir),
    ).toBe(true)
    expect(
      matchServerArgv(['python3', 'swift-object-server', 'object-server.conf'], abs, '/'),
    ).toBe(false)
    expect(
      matchServerArgv(
        ['python3', 'swift-object-server', join(dir, 'link', 'object-server.conf')],
        abs,
      ),
    ).toBe(true)
  })

  it('without a conf, the binary alone decides', () => {
    expect(
      matchServerArgv(['python3', '/usr/bin/swift-object-server'], {
        command: 'swift-object-server',
      }),
    ).toBe(true)
    expect(
      matchServerArgv(['python3', 'x.py', 'swift-object-server'], {
        command: 'swift-object-server',
      }),
    ).toBe(false)
  })
})
