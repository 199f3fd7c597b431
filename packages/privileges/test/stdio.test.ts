import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnCollect, tempDir } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'

const FIXTURE = join(import.meta.dirname, 'fixtures/capture.mjs')

function run(keep: boolean) {
  const log = join(tempDir(), 'log')
  const p = spawnCollect(process.execPath, [FIXTURE, log, keep ? 'keep' : ''], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  const { child } = p
  const stdoutEnded = new Promise<void>((r) => child.stdout!.once('end', () => r()))
  const stderrEnded = new Promise<void>((r) => child.stderr!.once('end', () => r()))
  const captured = new Promise<void>((r) => child.once('message', () => r()))
  const exited = p.exited.then((e) => e.code)
  return { child, log, out: p.stdout, err: p.stderr, stdoutEnded, stderrEnded, captured, exited }
}

describe('captureStdio', () => {
  it('closes stdout and stderr while the process lives on, and logs later writes', async () => {
    const r = run(false)
    await r.captured
    await r.stdoutEnded
    await r.stderrEnded
    expect(r.child.exitCode).toBeNull()
    expect(r.out()).toBe('before capture\n')
    expect(r.err()).toBe('')
    r.child.send('exit')
    expect(await r.exited).toBe(0)
    const lines = readFileSync(r.log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'info', msg: 'STDOUT: after capture' }),
    )
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'error', msg: 'STDERR: an error after capture' }),
    )
  })

  it('keepStderr leaves stderr open (the log goes there)', async () => {
    const r = run(true)
    await r.captured
    await r.stdoutEnded
    r.child.send('exit')
    expect(await r.exited).toBe(0)
    expect(r.err()).toBe('an error after capture\n')
  })
})
