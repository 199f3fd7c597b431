import { existsSync, readFileSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnCollect, tempDir, waitFor } from '@forklift/test-utils'
import { expect, it } from 'vitest'
import { LOG_REOPEN_SIGNAL } from '../src/index.js'
import { DIST } from './helpers.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/rotating-server.mjs', import.meta.url))
const WORKERS = 3

const lines = (file: string): Array<Record<string, unknown>> =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .slice(0, -1)
        .map((l) => JSON.parse(l))
    : []

it('SIGUSR2 after logrotate moved the file: the parent and every worker continue in the new file, no line lost or doubled', async () => {
  expect(LOG_REOPEN_SIGNAL).toBe('SIGUSR2')
  const dir = tempDir()
  const file = join(dir, 'rot.log')
  const proc = spawnCollect(process.execPath, [FIXTURE, DIST, file, String(WORKERS)])
  await waitFor(() => proc.stdout().includes('ready'), 'the server to start')
  const fromEach = (recs: Array<Record<string, unknown>>, min: number) =>
    [undefined, ...Array.from({ length: WORKERS }, (_, i) => i)].every(
      (w) => recs.filter((r) => r.worker === w && typeof r.seq === 'number').length >= min,
    )
  await waitFor(() => fromEach(lines(file), 50), 'lines from the parent and every worker')
  renameSync(file, `${file}.1`) // what logrotate does
  process.kill(proc.child.pid!, 'SIGUSR2') // what its postrotate does
  await waitFor(() => fromEach(lines(file), 50), 'lines from everyone in the new file')
  process.kill(proc.child.pid!, 'SIGTERM')
  expect(await proc.closed).toEqual({ code: 0, signal: null })
  expect(proc.stderr()).toBe('')

  const rotated = lines(`${file}.1`)
  const current = lines(file)
  expect(current[0]).toMatchObject({ msg: 'log file reopened', signal: 'SIGUSR2' })
  expect(current.at(-1)).toMatchObject({ msg: 'parent done' })
  for (const w of [undefined, ...Array.from({ length: WORKERS }, (_, i) => i)]) {
    const seqs = (recs: typeof rotated) =>
      recs.filter((r) => r.worker === w && typeof r.seq === 'number').map((r) => r.seq as number)
    const before = seqs(rotated)
    const after = seqs(current)
    expect(before.length).toBeGreaterThan(0)
    expect(after.length).toBeGreaterThan(0)
    // contiguous from 0 across both files, each seq once: nothing dropped at the switch
    const all = [...before, ...after]
    expect(all).toEqual(all.map((_, i) => i))
    const last = current.find((r) => r.worker === w && typeof r.last === 'number')
    expect(last?.last).toBe(all.length - 1)
  }
  // worker lines keep their own pid; the parent's carry the parent's
  const workerPids = new Set(current.filter((r) => r.worker !== undefined).map((r) => r.pid))
  expect(workerPids.size).toBe(WORKERS)
  expect(workerPids.has(proc.child.pid)).toBe(false)
})
