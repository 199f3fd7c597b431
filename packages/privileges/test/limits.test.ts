import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { killOnFinish } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import {
  type LimitResult,
  lookupUser,
  MAX_DESCRIPTORS,
  MAX_MEMORY,
  MAX_PROCS,
  raiseResourceLimits,
} from '../src/index.js'
import { FIXTURES, isRoot, procLimits, procStatus, runFixture, testUser } from './_helpers.js'

const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0
const user = testUser()
if (isRoot && !user) {
  console.warn('skipping the non-root resource-limit test: FORKLIFT_TEST_USER is not set')
}
if (!hasPrlimit)
  console.warn('skipping resource-limit tests: prlimit (util-linux) is not installed')

const NAMES = { nofile: 'Max open files', data: 'Max data size', nproc: 'Max processes' } as const
const WARNINGS = {
  nofile: 'WARNING: Unable to modify file descriptor limit.  Running as non-root?',
  data: 'WARNING: Unable to modify memory limit.  Running as non-root?',
  nproc: 'WARNING: Unable to modify max process limit.  Running as non-root?',
}

/**
 * A plain process (sh, then sleep: nothing that touches its own limits, unlike
 * Node, which raises its soft RLIMIT_NOFILE to the hard limit at start-up)
 * started with these limits via prlimit.
 */
async function sleeperWith(limits: string[]): Promise<number> {
  const child = killOnFinish(
    spawn('prlimit', [...limits, '--', 'sh', '-c', 'echo ready; exec sleep 600'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  )
  const [data] = (await once(child.stdout!, 'data')) as [Buffer]
  expect(data.toString()).toBe('ready\n')
  return child.pid!
}

describe.skipIf(!hasPrlimit)('raiseResourceLimits', () => {
  it("uses swift-init's values: 32768 files, 2 GiB data, 8192 processes", () => {
    expect([MAX_DESCRIPTORS, MAX_MEMORY, MAX_PROCS]).toEqual([32768, 2 ** 31, 8192])
  })

  it('raises the limits of a real process (checked in /proc/<pid>/limits)', async () => {
    const pid = await sleeperWith([
      '--nofile=256:4096',
      '--nproc=512:4096',
      '--data=1073741824:4294967296',
    ])
    expect(procLimits(pid)[NAMES.nofile]).toEqual([256, 4096])
    // Values within the hard limits, so this works without CAP_SYS_RESOURCE, as a non-root owner too.
    const results = raiseResourceLimits({ pid, nofile: 4000, nproc: 4096, dataBytes: 2 ** 31 })
    expect(results).toEqual([
      { resource: 'nofile', limit: 4000, ok: true },
      { resource: 'data', limit: 2 ** 31, ok: true },
      { resource: 'nproc', limit: 4096, ok: true },
    ])
    const limits = procLimits(pid)
    expect(limits[NAMES.nofile]).toEqual([4000, 4000])
    expect(limits[NAMES.data]).toEqual([2 ** 31, 2 ** 31])
    expect(limits[NAMES.nproc]).toEqual([4096, 4096])
  })

  it('with the defaults: every limit set, or a warning and the limit untouched', async () => {
    const pid = await sleeperWith(['--nofile=256:4096'])
    const before = procLimits(pid)
    const results = raiseResourceLimits({ pid })
    expect(results.map((r) => r.resource)).toEqual(['nofile', 'data', 'nproc'])
    const after = procLimits(pid)
    for (const r of results) {
      if (r.ok) {
        expect(after[NAMES[r.resource]]).toEqual([r.limit, r.limit])
      } else {
        // Raising a hard limit needs CAP_SYS_RESOURCE, which some containers withhold even from root.
        expect(r.warning).toBe(WARNINGS[r.resource])
        expect(r.error).toMatch(/EPERM \(operation not permitted\)/i)
        expect(after[NAMES[r.resource]]).toEqual(before[NAMES[r.resource]])
      }
    }
    // nofile 32768 > hard 4096: only a process with CAP_SYS_RESOURCE may raise it.
    expect(results[0]!.ok).toBe(hasCapSysResource())
  })

  it.skipIf(isRoot && !user)(
    'as non-root above the hard limit: warns like swift-init instead of failing',
    async () => {
      // As root, the child runs as the unprivileged test user; otherwise as ourselves.
      const asUser = isRoot ? { uid: lookupUser(user!).uid, gid: lookupUser(user!).gid } : {}
      const { out } = await runFixture<{ pid: number; uid: number; results: LimitResult[] }>(
        [`${FIXTURES}limits-child.mjs`, 'raise'],
        { ...asUser, prefix: ['prlimit', '--nofile=256:4096', '--'] },
      )
      expect(out.uid).not.toBe(0)
      const nofile = out.results.find((r) => r.resource === 'nofile')
      expect(nofile).toMatchObject({ ok: false, limit: 32768, warning: WARNINGS.nofile })
      expect(nofile?.error).toMatch(/EPERM \(operation not permitted\)/i)
      // The hard limit is untouched (Node itself raises its soft limit to the hard one at start-up).
      expect(procLimits(out.pid)[NAMES.nofile]![1]).toBe(4096)
    },
  )

  it('reports a missing process as warnings, not an exception', () => {
    const results = raiseResourceLimits({ pid: 2 ** 22 + 7 })
    expect(results.every((r) => !r.ok && r.warning === WARNINGS[r.resource])).toBe(true)
  })
})

function hasCapSysResource(): boolean {
  const eff = BigInt(`0x${procStatus(process.pid).CapEff}`)
  return ((eff >> 24n) & 1n) === 1n // CAP_SYS_RESOURCE is capability 24
}
