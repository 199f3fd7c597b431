import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { runBin, startBin, waitFor } from './helpers.js'

const BIN = 'swift-object-replicator'

function daemonConf(dir: string, extra = ''): string {
  const file = join(dir, 'object-replicator.conf')
  // stderr, never the machine's /dev/log
  writeFileSync(
    file,
    `[DEFAULT]\nuser =\nlog_file = -\ndevices = ${dir}\n\n[object-replicator]\n${extra}\n`,
  )
  return file
}

const passes = (text: string) => (text.match(/Object replication pass \d+ complete/g) ?? []).length

describe('daemon (run_daemon)', () => {
  it('once: runs one pass and exits 0', async () => {
    const conf = daemonConf(tempDir())
    const r = await runBin(BIN, [conf, 'once'])
    expect(r).toMatchObject({ code: 0, signal: null })
    expect(passes(r.stderr)).toBe(1)
  })

  it('runs a pass every interval until SIGTERM', async () => {
    const conf = daemonConf(tempDir(), 'interval = 0.2')
    const p = startBin(BIN, [conf])
    await p.ready()
    await waitFor(() => passes(p.stderr()) >= 3, 'three passes', 15_000)
    p.child.kill('SIGTERM')
    expect(await p.exited).toEqual({ code: 0, signal: null })
    expect(p.stderr()).toContain('SIGTERM received')
  })

  it('--interval overrides the conf and SIGHUP exits after the pass', async () => {
    const conf = daemonConf(tempDir(), 'interval = 3600')
    const p = startBin(BIN, [conf, '--interval', '0.1'])
    await waitFor(() => passes(p.stderr()) >= 2, 'two passes', 15_000)
    p.child.kill('SIGHUP')
    expect(await p.exited).toEqual({ code: 0, signal: null })
  })

  it('a missing section is one line naming it, exit 1', async () => {
    const dir = tempDir()
    const file = join(dir, 'x.conf')
    writeFileSync(file, '[DEFAULT]\nuser =\n')
    const r = await runBin(BIN, [file, 'once'])
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain('object-replicator')
  })
})
