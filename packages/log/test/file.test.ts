import { execFileSync, spawn, spawnSync } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { tempDir, waitFor } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createLogger, type LogRecord, openLogFile } from '../src/index.js'
import { DIST, PYTHON } from './helpers.js'

const isRoot = process.getuid?.() === 0
const TEST_USER = process.env.FORKLIFT_TEST_USER
function testUser(): { uid: number; gid: number } | undefined {
  if (!isRoot) return undefined
  if (!TEST_USER) {
    if (process.env.CI)
      throw new Error('FORKLIFT_TEST_USER must be set in CI (scripts/test-deps.sh)')
    return undefined
  }
  const [uid, gid] = execFileSync('id', ['-u', TEST_USER], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .concat(execFileSync('id', ['-g', TEST_USER], { encoding: 'utf8' }).trim())
    .map(Number)
  return { uid: uid!, gid: gid! }
}

const USER = testUser()
if (isRoot && !USER)
  console.warn('skipping the foreign-owner tests: no FORKLIFT_TEST_USER (scripts/test-deps.sh)')

const record = (msg: string): LogRecord => ({
  level: 'info',
  time: new Date().toISOString(),
  server: 'object-server',
  pid: process.pid,
  hostname: 'h',
  msg,
})

/** A root-only file that an attacker wants us to write into. */
function victim(dir: string): string {
  const file = join(dir, 'shadow')
  writeFileSync(file, 'root:secret\n', { mode: 0o600 })
  return file
}

describe('openLogFile refuses what a service user can plant', () => {
  it.runIf(USER !== undefined)(
    'a log dir owned by the service user, with a symlink to a root-only file',
    () => {
      const user = USER!
      const root = tempDir()
      chmodSync(root, 0o755) // the service user reaches its own log dir
      const target = victim(root)
      const logDir = join(root, 'log')
      mkdirSync(logDir, { mode: 0o755 })
      chownSync(logDir, user.uid, user.gid)
      // what the service user does in the directory it owns
      execFileSync('su', [
        TEST_USER!,
        '-s',
        '/bin/sh',
        '-c',
        `ln -s ${target} ${join(logDir, 'object-server.log')}`,
      ])
      expect(() =>
        createLogger({ name: 'object-server', file: join(logDir, 'object-server.log') }),
      ).toThrow(
        expect.objectContaining({
          code: 'E_LOG_DIR_UNSAFE',
          message: expect.stringContaining(`owned by uid ${user.uid}`),
        }),
      )
      expect(readFileSync(target, 'utf8')).toBe('root:secret\n')
      expect(statSync(target).mode & 0o777).toBe(0o600)
    },
  )

  it('a symlink at the log path, even in a trusted directory: never followed', () => {
    const dir = tempDir()
    const target = victim(dir)
    const path = join(dir, 'object-server.log')
    symlinkSync(target, path)
    expect(() => openLogFile(path)).toThrow(
      expect.objectContaining({
        code: 'E_LOG_FILE_UNSAFE',
        message: `refusing log file ${path}: it is a symlink`,
      }),
    )
    expect(readFileSync(target, 'utf8')).toBe('root:secret\n')
  })

  it('a FIFO with no reader: refused at once, not waited on', () => {
    const path = join(tempDir(), 'object-server.log')
    execFileSync('mkfifo', [path])
    expect(() => openLogFile(path)).toThrow(
      expect.objectContaining({
        code: 'E_LOG_FILE_UNSAFE',
        message: expect.stringContaining('a FIFO'),
      }),
    )
  })

  it('a FIFO someone reads: opened without blocking, then refused, nothing written', async () => {
    const path = join(tempDir(), 'object-server.log')
    execFileSync('mkfifo', [path])
    // a reader holding the FIFO open, so that open(2) for writing succeeds
    const reader = spawn(
      PYTHON,
      [
        '-c',
        `import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
print("ready", flush=True)
sys.stdin.read()
try:
    print(repr(os.read(fd, 4096)), flush=True)
except BlockingIOError:
    print("nothing", flush=True)`,
        path,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    )
    onTestFinished(() => void reader.kill('SIGKILL'))
    let out = ''
    reader.stdout.on('data', (d) => {
      out += d
    })
    await waitFor(() => out.includes('ready'), 'the FIFO reader')
    expect(() => openLogFile(path)).toThrow(
      expect.objectContaining({
        code: 'E_LOG_FILE_UNSAFE',
        message: `refusing log file ${path}: it is a FIFO`,
      }),
    )
    reader.stdin.end()
    await waitFor(() => /nothing|b''/.test(out), 'the reader to report what it got')
    expect(out).not.toContain('object-server')
  })

  it('a directory, a device: refused', () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'd.log'))
    expect(() => openLogFile(join(dir, 'd.log'))).toThrow(
      expect.objectContaining({
        code: 'E_LOG_FILE_UNSAFE',
        message: expect.stringContaining('a directory'),
      }),
    )
    if (isRoot) {
      execFileSync('mknod', [join(dir, 'null.log'), 'c', '1', '3'])
      expect(() => openLogFile(join(dir, 'null.log'))).toThrow(
        expect.objectContaining({
          code: 'E_LOG_FILE_UNSAFE',
          message: expect.stringContaining('a device'),
        }),
      )
    }
  })

  it('directories another user can write: group-writable, world-writable even sticky, and above them', () => {
    const root = tempDir()
    const cases: Array<[string, number, string]> = [
      ['group', 0o775, 'it is writable by its group (mode 0775)'],
      ['world', 0o777, 'it is writable by everyone (mode 0777)'],
      ['sticky', 0o1777, 'it is writable by everyone (mode 1777)'],
    ]
    for (const [name, mode, why] of cases) {
      const dir = join(root, name)
      mkdirSync(dir)
      chmodSync(dir, mode)
      expect(() => openLogFile(join(dir, 'x.log'))).toThrow(
        expect.objectContaining({
          code: 'E_LOG_DIR_UNSAFE',
          message: `refusing log file ${join(dir, 'x.log')}: directory ${dir}: ${why}`,
        }),
      )
    }
    // an ancestor everyone can write and rename in
    const open = join(root, 'open')
    mkdirSync(join(open, 'log'), { recursive: true })
    chmodSync(open, 0o777)
    expect(() => openLogFile(join(open, 'log', 'x.log'))).toThrow(
      expect.objectContaining({
        code: 'E_LOG_DIR_UNSAFE',
        message: expect.stringContaining(`${open} is writable by everyone and not sticky`),
      }),
    )
    // sticky world-writable ancestors (/tmp) and group-writable ones (Ubuntu's /var/log) are fine
    const sticky = join(root, 'tmp')
    mkdirSync(join(sticky, 'log'), { recursive: true })
    chmodSync(sticky, 0o1777)
    openLogFile(join(sticky, 'log', 'x.log')).close()
    const group = join(root, 'varlog')
    mkdirSync(join(group, 'log'), { recursive: true })
    chmodSync(group, 0o775)
    openLogFile(join(group, 'log', 'x.log')).close()
  })

  it.runIf(USER !== undefined)('an ancestor owned by another user', () => {
    const user = USER!
    const home = join(tempDir(), 'home')
    mkdirSync(join(home, 'logs'), { recursive: true })
    chownSync(home, user.uid, user.gid)
    expect(() => openLogFile(join(home, 'logs', 'x.log'))).toThrow(
      expect.objectContaining({
        code: 'E_LOG_DIR_UNSAFE',
        message: expect.stringContaining(`${home} is owned by uid ${user.uid}`),
      }),
    )
  })

  it.runIf(USER !== undefined)(
    'a user logging into a directory of their own is trusted (not root)',
    () => {
      const user = USER!
      const dir = join(tempDir(), 'mine')
      mkdirSync(dir, { mode: 0o755 })
      chownSync(dir, user.uid, user.gid)
      chmodSync(join(dir, '..'), 0o755)
      const file = join(dir, 'x.log')
      const res = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import { createLogger } from ${JSON.stringify(DIST)}; createLogger({ name: 'u', file: ${JSON.stringify(file)} }).info('as a user')`,
        ],
        { uid: user.uid, gid: user.gid, encoding: 'utf8' },
      )
      expect(res.stderr).toBe('')
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ msg: 'as a user' })
      expect(statSync(file).uid).toBe(user.uid)
    },
  )
})

describe('openLogFile on paths an operator gave', () => {
  it('a missing directory is an error unless creating it was asked for', () => {
    const dir = join(tempDir(), 'var', 'log', 'swift')
    const path = join(dir, 'object.log')
    expect(() => openLogFile(path)).toThrow(
      expect.objectContaining({
        code: 'E_LOG_DIR_MISSING',
        message: `cannot open log file ${path}: directory ${dir} does not exist (create it, or ask for it to be created)`,
      }),
    )
    const dest = openLogFile(path, { createDir: true })
    dest.write(record('created'))
    dest.close()
    expect(statSync(dir).mode & 0o7777).toBe(0o755)
    expect(statSync(path).mode & 0o777).toBe(0o640)
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ msg: 'created' })
  })

  it('a symlinked directory the operator set up is followed to its real, checked place', () => {
    const root = tempDir()
    mkdirSync(join(root, 'data', 'logs'), { recursive: true })
    symlinkSync(join(root, 'data', 'logs'), join(root, 'logs'))
    const dest = openLogFile(join(root, 'logs', 'x.log'))
    dest.write(record('through the link'))
    dest.close()
    expect(readFileSync(join(root, 'data', 'logs', 'x.log'), 'utf8')).toContain('through the link')
  })

  it('appends to an existing file and keeps its mode', () => {
    const path = join(tempDir(), 'x.log')
    writeFileSync(path, 'old line\n', { mode: 0o644 })
    const dest = openLogFile(path, { format: 'text' })
    dest.write(record('new line'))
    dest.close()
    const lines = readFileSync(path, 'utf8').split('\n')
    expect(lines[0]).toBe('old line')
    expect(lines[1]).toMatch(/ INFO {2}object-server\[\d+\]: new line$/)
    expect(statSync(path).mode & 0o777).toBe(0o644)
  })
})

describe('reopen (log rotation)', () => {
  it('after the file is moved, new lines land in a new file at the path; none is lost', () => {
    const dir = tempDir()
    const path = join(dir, 'object.log')
    const dest = openLogFile(path)
    dest.write(record('1'))
    dest.write(record('2'))
    renameSync(path, `${path}.1`)
    dest.write(record('3')) // still the old file: logrotate moved it, we did not reopen yet
    dest.reopen()
    dest.write(record('4'))
    dest.close()
    const msgs = (p: string) =>
      readFileSync(p, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).msg)
    expect(msgs(`${path}.1`)).toEqual(['1', '2', '3'])
    expect(msgs(path)).toEqual(['4'])
  })

  it('a reopen that finds a planted symlink fails and keeps writing to the old file', () => {
    const dir = tempDir()
    const target = victim(dir)
    const path = join(dir, 'object.log')
    const dest = openLogFile(path)
    renameSync(path, `${path}.1`)
    symlinkSync(target, path)
    expect(() => dest.reopen()).toThrow(expect.objectContaining({ code: 'E_LOG_FILE_UNSAFE' }))
    dest.write(record('still here'))
    dest.close()
    expect(readFileSync(`${path}.1`, 'utf8')).toContain('still here')
    expect(readFileSync(target, 'utf8')).toBe('root:secret\n')
  })
})
