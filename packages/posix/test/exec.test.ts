import { spawnSync } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'
import { reapChild, setCloseOnExec } from '../src/exec.js'

const O_CLOEXEC = 0o2000000
const fdFlags = (fd: number) =>
  Number.parseInt(/flags:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8)

describe('exec helpers', () => {
  it('clears and sets FD_CLOEXEC, as /proc/self/fdinfo shows it', () => {
    const fd = openSync('/dev/null', 'r')
    onTestFinished(() => closeSync(fd))
    expect(fdFlags(fd) & O_CLOEXEC).toBe(O_CLOEXEC) // libuv opens close-on-exec
    setCloseOnExec(fd, false)
    expect(fdFlags(fd) & O_CLOEXEC).toBe(0)
    setCloseOnExec(fd, true)
    expect(fdFlags(fd) & O_CLOEXEC).toBe(O_CLOEXEC)
  })

  it('names a bad descriptor or argument', () => {
    expect(() => setCloseOnExec(100_000, false)).toThrow(
      expect.objectContaining({ code: 'E_SYSCALL', errno: 'EBADF' }),
    )
    expect(() => setCloseOnExec(-1, false)).toThrow(expect.objectContaining({ code: 'E_ARGUMENT' }))
    expect(() => reapChild(0)).toThrow(expect.objectContaining({ code: 'E_ARGUMENT' }))
  })

  it('reaps children its libuv never forked: running, exited, killed, then ECHILD', () => {
    const fixture = fileURLToPath(new URL('./fixtures/reap-child.mjs', import.meta.url))
    const r = spawnSync(
      '/bin/sh',
      ['-c', `sleep 30 & s=$!; sh -c 'exit 3' & exec "$0" "$1" $s $!`, process.execPath, fixture],
      { encoding: 'utf8', timeout: 30_000 },
    )
    expect(r.stderr).toBe('')
    expect(JSON.parse(r.stdout)).toEqual([
      ['running', null],
      ['exited', { code: 3, signal: null }],
      ['killed', { code: null, signal: 9 }],
      ['again', 'E_SYSCALL', 'ECHILD'],
      ['init', 'E_SYSCALL', 'ECHILD'],
    ])
  })
})
