import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { killOnFinish } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { getResourceLimit, setResourceLimit } from '../src/rlimit.js'

/** A limit as /proc/<pid>/limits shows it ("Max open files  1024  4096  files"). */
function procLimit(pid: number, label: string): [string, string] {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(label))!
  const [soft, hard] = line.slice(label.length).trim().split(/\s+/)
  return [soft!, hard!]
}

// Raising a hard limit needs CAP_SYS_RESOURCE (bit 24), which root in a
// container may lack: branch on the capability, not on the uid.
const canRaise =
  ((BigInt(`0x${/CapEff:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`) >> 24n) &
    1n) ===
  1n

describe('resource limits', () => {
  it('reads this process’s limits as the kernel shows them', () => {
    const nofile = getResourceLimit('nofile')
    expect(procLimit(process.pid, 'Max open files').map(Number)).toEqual([nofile.soft, nofile.hard])
    const core = getResourceLimit('core')
    const [soft] = procLimit(process.pid, 'Max core file size')
    expect(soft === 'unlimited' ? Infinity : Number(soft)).toBe(core.soft)
  })

  it('sets another process’s limits by pid (what `prlimit --pid` does), soft and hard apart', async () => {
    const child = killOnFinish(spawn('sleep', ['30'], { stdio: 'ignore' }))
    const pid = child.pid!
    const before = getResourceLimit('nofile', { pid })
    setResourceLimit('nofile', { soft: 256 }, { pid })
    expect(procLimit(pid, 'Max open files')).toEqual(['256', String(before.hard)])
    if (canRaise) {
      setResourceLimit('nofile', 32768, { pid })
      expect(getResourceLimit('nofile', { pid })).toEqual({ soft: 32768, hard: 32768 })
      setResourceLimit('data', 2 * 1024 ** 3, { pid })
      expect(procLimit(pid, 'Max data size')).toEqual([
        String(2 * 1024 ** 3),
        String(2 * 1024 ** 3),
      ])
      setResourceLimit('core', Infinity, { pid })
      expect(procLimit(pid, 'Max core file size')).toEqual(['unlimited', 'unlimited'])
    } else {
      expect(() => setResourceLimit('nofile', before.hard + 1, { pid })).toThrow(
        expect.objectContaining({ code: 'E_SYSCALL', errno: 'EPERM' }),
      )
    }
  })

  it('names the errno and the limit when the kernel refuses, and refuses bad arguments', () => {
    const { hard } = getResourceLimit('nofile')
    expect(() => setResourceLimit('nofile', { soft: hard + 1, hard })).toThrow(
      /^prlimit nofile=\d+:\d+ of pid \d+: EINVAL/,
    )
    expect(() => getResourceLimit('nofile', { pid: 2 ** 30 })).toThrow(
      expect.objectContaining({ errno: 'ESRCH' }),
    )
    expect(() => getResourceLimit('files' as 'nofile')).toThrow(
      expect.objectContaining({ code: 'E_ARGUMENT' }),
    )
    expect(() => setResourceLimit('nofile', -1)).toThrow(/integer >= 0 or Infinity, got -1/)
    expect(() => setResourceLimit('nofile', 1.5)).toThrow(
      expect.objectContaining({ code: 'E_ARGUMENT' }),
    )
  })
})
