import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, waitFor, waitGone } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { DIST, DIST_CONF } from './helpers.js'

const RSYSLOGD = '/usr/sbin/rsyslogd'
const haveRsyslog = existsSync(RSYSLOGD)
if (!haveRsyslog && process.env.CI)
  throw new Error('rsyslogd missing: scripts/test-deps.sh installs it')

/** A real rsyslogd listening on its own socket, writing what it parsed of each message. */
async function startRsyslog(): Promise<{ socket: string; lines: () => string[] }> {
  const dir = tempDir()
  const socket = join(dir, 'log.sock')
  const out = join(dir, 'out.log')
  const conf = join(dir, 'rsyslog.conf')
  writeFileSync(
    conf,
    `global(workDirectory="${dir}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="${socket}" RateLimit.Interval="0")
# %msg% keeps the space after the tag's colon, as rsyslog's own file templates do
template(name="parsed" type="string" string="%syslogfacility-text%.%syslogseverity-text% tag=%syslogtag% program=%programname% pid=%procid% msg=%msg%\\n")
*.* action(type="omfile" file="${out}" template="parsed")
`,
  )
  const child = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await waitGone(child.pid!).catch(() => child.kill('SIGKILL'))
    }
  })
  await waitFor(() => existsSync(socket), 'rsyslogd to create its socket')
  return {
    socket,
    lines: () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').slice(0, -1) : []),
  }
}

describe.runIf(haveRsyslog)('a real rsyslogd parses our datagrams', () => {
  it('facility, severity, tag, program, pid and message as Swift operators filter on them', async () => {
    const rs = await startRsyslog()
    const script = `
      import { relayLine } from ${JSON.stringify(DIST)}
      import { createServerLogger } from ${JSON.stringify(DIST_CONF)}
      const log = createServerLogger(
        { log_address: ${JSON.stringify(rs.socket)}, log_facility: 'LOG_LOCAL2', log_level: 'DEBUG' },
        { name: 'object-server' },
      )
      log.info('object-server started')
      log.child({ worker: 1 }).warn({ device: 'sdb1' }, 'drive unmounted')
      log.error({ err: new Error('disk full') }, 'PUT failed')
      relayLine(log.child({ worker: 2 }), JSON.stringify({ level: 'debug', time: new Date().toISOString(), server: 'object-server', pid: 4242, hostname: 'h', worker: 2, msg: 'from a worker' }))
      await log.flushed()`
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    })
    expect(res.stderr).toBe('')
    expect(res.status).toBe(0)
    const got = await waitFor(
      () => rs.lines().length >= 4 && rs.lines(),
      'rsyslogd to write 4 lines',
    )
    const pid = res.pid
    expect(got[0]).toBe(
      `local2.info tag=object-server[${pid}]: program=object-server pid=${pid} msg= object-server started`,
    )
    expect(got[1]).toBe(
      `local2.warning tag=object-server[${pid}]: program=object-server pid=${pid} msg= drive unmounted worker=1 device=sdb1`,
    )
    expect(got[2]).toMatch(
      new RegExp(
        `^local2\\.err tag=object-server\\[${pid}\\]: program=object-server pid=${pid} msg= PUT failed err="Error: disk full"#012    at `,
      ),
    )
    expect(got[3]).toBe(
      'local2.debug tag=object-server[4242]: program=object-server pid=4242 msg= from a worker worker=2',
    )
  })
})
