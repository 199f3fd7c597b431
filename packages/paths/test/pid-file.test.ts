import { execFileSync, spawn } from 'node:child_process'
import {
  chmodSync,
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
  cmdlineNames,
  ensureRunDir,
  inspectPidFile,
  PathsError,
  parsePid,
  readPidFile,
  removePidFile,
  writePidFile,
} from '../src/index.js'

const NAMES = ['swift-object-server']

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

  it('refuses a run dir that is a symlink, or world-writable without the sticky bit', () => {
    const base = tempDir()
    mkdirSync(join(base, 'real'))
    symlinkSync(join(base, 'real'), join(base, 'link'))
    expect(() => ensureRunDir(join(base, 'link'))).toThrow(
      /refusing run dir .*link: it is a symlink/,
    )

    const open = join(base, 'open')
    mkdirSync(open)
    chmodSync(open, 0o777)
    expect(() => writePidFile(join(open, 'x.pid'), 1, { runDir: open })).toThrow(
      expect.objectContaining({ code: 'E_RUN_DIR_UNSAFE' }),
    )
    chmodSync(open, 0o1777)
    writePidFile(join(open, 'x.pid'), 1, { runDir: open })
    expect(readPidFile(join(open, 'x.pid'))).toEqual({ state: 'ok', pid: 1 })
  })

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
    expect(inspectPidFile(p('none.pid'), { names: NAMES }).state).toBe('missing')
    for (const [name, content] of [
      ['garbage.pid', 'not a pid\n'],
      ['zero.pid', '0'],
      ['negative.pid', '-1'],
      ['empty.pid', ''],
      ['huge.pid', '1'.repeat(100)],
    ] as const) {
      writeFileSync(p(name), content)
      const info = inspectPidFile(p(name), { names: NAMES })
      expect([name, info.state, info.pid]).toEqual([name, 'invalid', undefined])
    }
    writeFileSync(p('target'), String(process.pid))
    symlinkSync(p('target'), p('link.pid'))
    expect(inspectPidFile(p('link.pid'), { names: NAMES }).state).toBe('invalid')
    mkdirSync(p('dir.pid'))
    expect(inspectPidFile(p('dir.pid'), { names: NAMES }).state).toBe('invalid')
    execFileSync('mkfifo', [p('fifo.pid')])
    expect(inspectPidFile(p('fifo.pid'), { names: NAMES }).state).toBe('invalid')
  })

  it('stale: the process is gone', async () => {
    const run = tempDir()
    const child = spawnSleep()
    const pid = child.pid!
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    writeFileSync(join(run, 'x.pid'), ` ${pid} \n`)
    const info = inspectPidFile(join(run, 'x.pid'), { names: NAMES })
    expect([info.state, info.pid]).toEqual(['stale', pid])
  })

  it('foreign: a live unrelated process holds the pid, and it is left alone', () => {
    const run = tempDir()
    const child = spawnSleep()
    writeFileSync(join(run, 'object-server.pid'), `${child.pid}\n`)
    const info = inspectPidFile(join(run, 'object-server.pid'), { names: NAMES })
    expect([info.state, info.pid, info.cmdline]).toEqual(['foreign', child.pid, ['sleep', '300']])
    expect(child.exitCode).toBeNull()
    expect(removePidFile(join(run, 'object-server.pid'))).toBe(true)
    expect(removePidFile(join(run, 'object-server.pid'))).toBe(false)
  })

  it('running: the live process names the server', () => {
    const run = tempDir()
    const child = spawnSleep('/usr/local/bin/swift-object-server')
    writeFileSync(join(run, 'object-server.pid'), `${child.pid}`)
    const info = inspectPidFile(join(run, 'object-server.pid'), { names: NAMES })
    expect([info.state, info.pid, info.permitted]).toEqual(['running', child.pid, true])
    expect(
      inspectPidFile(join(run, 'object-server.pid'), { names: ['swift-proxy-server'] }).state,
    ).toBe('foreign')
  })

  it('a zombie counts as stale', async () => {
    // A child that exits while its parent (a shell) does not reap it yet.
    const shell = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 300'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    onTestFinished(() => {
      shell.kill('SIGKILL')
    })
    const pid = Number((await new Promise<Buffer>((r) => shell.stdout.once('data', r))).toString())
    await waitFor(() => procStat(pid)?.[0] === 'Z', `pid ${pid} to be a zombie`, 10_000, 20)
    expect(checkProcess(pid, ['sleep']).state).toBe('stale')
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
    expect(checkProcess(2, NAMES).state).toBe('foreign')
  })
})

describe('cmdlineNames', () => {
  it('matches a basename of some argv element or word', () => {
    expect(
      cmdlineNames(
        ['/usr/bin/python3', '/usr/bin/swift-object-server', '/etc/swift/object-server.conf'],
        NAMES,
      ),
    ).toBe(true)
    expect(cmdlineNames(['node', '/opt/forklift/bin/swift-object-server', 'x.conf'], NAMES)).toBe(
      true,
    )
    expect(cmdlineNames(['swift-object-server: master process'], NAMES)).toBe(true)
    expect(cmdlineNames(['vim', '/etc/swift-object-server.d/notes'], NAMES)).toBe(false)
    expect(cmdlineNames(['sleep', '300'], NAMES)).toBe(false)
    expect(cmdlineNames(['swift-object-server'], [''])).toBe(false)
  })
})
