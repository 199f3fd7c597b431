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
import { UnixDatagramSocket } from '@forklift/posix/unix-dgram'
import { tempDir, waitFor } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
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

  it('use_syslog: the launcher and every worker log to syslog beside log_file, at syslog_log_facility', async () => {
    const dir = tempDir()
    const log = join(dir, 'volume.log')
    const sock = join(dir, 'log.sock')
    const got: Array<{ text: string; pid: number | undefined }> = []
    const rx = new UnixDatagramSocket().bind(sock)
    rx.on('message', (m) => got.push({ text: m.data.toString('utf8'), pid: m.pid }))
    onTestFinished(() => rx.close())
    const file = conf(dir, {
      defaults: `enabled_backends = a, b\nlog_file = ${log}\nuse_syslog = True\nsyslog_log_facility = local1\nsyslog_address = ${sock}`,
      sections: `[a]\n${OK}\n\n[b]\n${OK}\n`,
    })
    const run = startVolume(['--config-file', file])
    const starting = (host: string) =>
      got.find((g) => g.text.includes(`: Starting forklift-volume node ${host} `))
    const a = await waitFor(() => starting('node1@a'), 'worker a in syslog')
    const b = await waitFor(() => starting('node1@b'), 'worker b in syslog')
    const parent = run.child.pid!
    // LOCAL1 = 17: 17*8 + info 6 = 142; the tag carries the sender's pid, as the kernel says it
    for (const w of [a, b])
      expect(w.text).toMatch(new RegExp(`^<142>forklift-volume\\[${w.pid}\\]: `))
    expect(new Set([a.pid, b.pid, parent]).size).toBe(3)
    await waitFor(() => got.some((g) => g.pid === parent), 'a launcher line in syslog')
    // both services up (a stop before that ends as cinder's does, with exit 1)
    const inFile = (pid: number | undefined, msg: string) =>
      records(log).some((r) => r.pid === pid && r.msg === msg)
    await waitFor(
      () => inFile(a.pid, 'periodic ok') && inFile(b.pid, 'periodic ok'),
      'periodic ok from both workers in the file',
    )
    run.child.kill('SIGTERM')
    expect(await run.exited).toEqual({ code: 0, signal: null })
    // the file has the same records: syslog is beside it, not instead
    expect(inFile(a.pid, 'Starting forklift-volume node node1@a')).toBe(true)
    expect(inFile(b.pid, 'Starting forklift-volume node node1@b')).toBe(true)
    expect(run.lines).toEqual([])
  })

  it('use_syslog with no syslog daemon: one warning per process in the file, every record kept, nothing on stderr', async () => {
    const dir = tempDir()
    const log = join(dir, 'volume.log')
    const file = conf(dir, {
      defaults: `enabled_backends = a\nlog_file = ${log}\nuse_syslog = yes\nsyslog_address = ${join(dir, 'nobody.sock')}`,
      sections: `[a]\n${OK}\n`,
    })
    const run = startVolume(['--config-file', file])
    await waitFor(
      () => records(log).some((r) => r.msg === 'periodic ok'),
      'periodic ok in the file',
    )
    run.child.kill('SIGTERM')
    expect(await run.exited).toEqual({ code: 0, signal: null })
    const warnings = records(log).filter((r) => String(r.msg).startsWith('cannot log to syslog'))
    // the launcher and its one worker, each once
    expect(new Set(warnings.map((w) => w.pid)).size).toBe(2)
    expect(warnings).toHaveLength(2)
    expect(warnings[0]!.msg).toMatch(
      /\(ENOENT\): records go to file .*volume\.log only until it is back$/,
    )
    expect(records(log).some((r) => r.msg === 'Starting forklift-volume node node1@a')).toBe(true)
    expect(run.lines).toEqual([])
  })

  it('a bad use_syslog or syslog_log_facility is refused in one line naming the key, nothing started', () => {
    for (const [line, want] of [
      ['use_syslog = maybe', /\[DEFAULT\] use_syslog.*must be true or false.*"maybe"/],
      [
        'use_syslog = true\nsyslog_log_facility = LOG_NOPE',
        /\[DEFAULT\] syslog_log_facility.*"LOG_NOPE" is not a syslog facility; one of LOG_KERN, LOG_USER/,
      ],
    ] as const) {
      const dir = tempDir()
      const file = conf(dir, {
        defaults: `enabled_backends = a\n${line}`,
        sections: `[a]\n${OK}\n`,
      })
      const r = volumeSync(['--config-file', file])
      expect(r.status).toBe(1)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toMatch(want)
      expect(r.stderr).toContain(file)
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
