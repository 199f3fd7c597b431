// forklift-volume's log_file: opened safely, reopened on SIGUSR2 by the
// launcher and by every worker (each writes the file itself).
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { tempDir, waitFor } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { volumeConf as conf, FIXTURES, startVolume, volumeSync } from './helpers.js'

const OK = `volume_driver = ${join(FIXTURES, 'ok-driver.mjs')}#createDriver`

function records(file: string): Array<Record<string, unknown>> {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
  } catch {
    return []
  }
}

describe('forklift-volume log_file', () => {
  it('SIGUSR2 to the group reopens log_file in the launcher and in every worker', async () => {
    const dir = tempDir()
    const log = join(dir, 'volume.log')
    const file = conf(dir, {
      defaults: `enabled_backends = a, b\nlog_file = ${log}`,
      sections: `[a]\n${OK}\n\n[b]\n${OK}\n`,
    })
    const run = startVolume(['--config-file', file])
    const started = (host: string) =>
      records(log).find((r) => r.msg === `Starting forklift-volume node ${host}`)?.pid as
        | number
        | undefined
    const a = await waitFor(() => started('node1@a'), 'worker a started')
    const b = await waitFor(() => started('node1@b'), 'worker b started')
    const parent = run.child.pid!
    renameSync(log, `${log}.1`)
    process.kill(-parent, 'SIGUSR2')
    await waitFor(() => {
      const pids = records(log)
        .filter((r) => r.msg === 'log file reopened')
        .map((r) => r.pid)
      return [parent, a, b].every((p) => pids.includes(p))
    }, 'the launcher and both workers reopened')
    // the workers keep heartbeating into the new file, nobody died
    await waitFor(
      () => records(log).filter((r) => r.msg === 'periodic ok' && r.pid === a).length >= 1,
      'worker a logging into the new file',
    )
    run.child.kill('SIGTERM')
    expect(await run.exited).toEqual({ code: 0, signal: null })
    expect(records(`${log}.1`).some((r) => r.pid === a)).toBe(true)
    expect(
      records(log).filter((r) => /exited|killed/i.test(String(r.msg)) && r.level === 'error'),
    ).toEqual([])
  })

  it('log_dir as oslo.log reads it: <log_dir>/forklift-volume.log alone, the dir of a relative log_file', async () => {
    for (const [extra, name] of [
      ['', 'forklift-volume.log'],
      ['log_file = mine.log', 'mine.log'],
    ] as const) {
      const dir = tempDir()
      const logs = join(dir, 'logs')
      mkdirSync(logs, { mode: 0o755 })
      const file = conf(dir, {
        defaults: `enabled_backends = a\nlog_dir = ${logs}\n${extra}`,
        sections: `[a]\n${OK}\n`,
      })
      const run = startVolume(['--config-file', file])
      const log = join(logs, name)
      // Its driver's periodic task: the service is up (a stop before that
      // ends as cinder's does, with exit 1 and its line on stderr).
      await waitFor(
        () => records(log).some((r) => r.msg === 'periodic ok'),
        `the worker's periodic task in ${name}`,
      )
      run.child.kill('SIGTERM')
      expect(await run.exited).toEqual({ code: 0, signal: null })
      expect(readdirSync(logs)).toEqual([name])
      // Nothing went to standard error: the file has it all.
      expect(run.lines).toEqual([])
    }
  })

  it('a planted log_file symlink is refused in one line, its target unchanged', () => {
    const dir = tempDir()
    const target = join(dir, 'target')
    writeFileSync(target, 'keep\n')
    const log = join(dir, 'volume.log')
    symlinkSync(target, log)
    const file = conf(dir, {
      defaults: `enabled_backends = a\nlog_file = ${log}`,
      sections: `[a]\n${OK}\n`,
    })
    const r = volumeSync(['--config-file', file])
    expect(r.status).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/symlink/)
    expect(readFileSync(target, 'utf8')).toBe('keep\n')
  })
})
