// kill -9 of swift-init while it starts 20 servers: whatever the moment,
// every server left alive has its pid file, so `status` and `stop` see it.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { alive, waitFor } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { collect, Site } from './_helpers.js'

const SERVERS = 20

/** Live processes whose argv mentions `marker` → their argv. */
function processesMentioning(marker: string): Map<number, string[]> {
  const found = new Map<number, string[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    let argv: string[]
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0$/, '').split('\0')
    } catch {
      continue
    }
    if (pid !== process.pid && argv.some((a) => a.includes(marker)) && alive(pid)) {
      found.set(pid, argv)
    }
  }
  return found
}

/** Every pid file under `dir` (recursively) → the pid it names. */
function pidFiles(dir: string): Map<string, number> {
  const found = new Map<string, number>()
  const walk = (d: string) => {
    let names: string[]
    try {
      names = readdirSync(d)
    } catch {
      return
    }
    for (const name of names) {
      const path = join(d, name)
      if (name.endsWith('.pid')) found.set(path, Number(readFileSync(path, 'utf8').trim()))
      else walk(path)
    }
  }
  walk(dir)
  return found
}

// Kill moments: right after the Nth "Starting" line (swift-init is about to
// spawn, or spawning, server N), and while it waits for all of them.
const MOMENTS: { after: number; delayMs: number }[] = [
  { after: 1, delayMs: 0 },
  { after: 3, delayMs: 1 },
  { after: 6, delayMs: 0 },
  { after: 9, delayMs: 2 },
  { after: 12, delayMs: 0 },
  { after: 15, delayMs: 3 },
  { after: 18, delayMs: 0 },
  { after: 20, delayMs: 0 },
  { after: 20, delayMs: 30 },
]

describe('kill -9 of swift-init during start', () => {
  it(`at ${MOMENTS.length} moments while starting ${SERVERS} servers: every live server has its pid file; status and stop see them all`, async () => {
    const site = new Site().install('object-server')
    for (let i = 1; i <= SERVERS; i++) site.conf(`object-server/${i}.conf`)
    const lost: string[] = []
    // How many servers each kill left running: the test means something only
    // if some kills land part-way.
    const survivors: number[] = []
    for (const moment of MOMENTS) {
      const child = site.spawn(['object', 'start'])
      let lines = 0
      let killed = false
      child.stdout?.on('data', (d: Buffer) => {
        lines += (d.toString().match(/^Starting /gm) ?? []).length
        if (!killed && lines >= moment.after) {
          killed = true
          setTimeout(() => child.kill('SIGKILL'), moment.delayMs)
        }
      })
      await new Promise((resolve) => child.once('exit', resolve))

      // Whatever swift-init left half-started settles: a forked child that
      // had not exec'd yet, a gated child: each becomes a server or exits.
      const started = () =>
        new Set(
          site
            .eventList()
            .filter((e) => e.event === 'started')
            .map((e) => e.pid),
        )
      await waitFor(
        () => {
          const up = started()
          return [...processesMentioning(site.root).keys()].every((pid) => up.has(pid))
        },
        'every process swift-init left to be a started server',
        20_000,
      )
      const live = processesMentioning(site.root)
      survivors.push(live.size)
      const tracked = new Set(pidFiles(site.run).values())
      for (const [pid, argv] of live) {
        if (!tracked.has(pid)) {
          lost.push(
            `after line ${moment.after} (+${moment.delayMs} ms): pid ${pid} (${argv.join(' ').replaceAll(site.root, 'ROOT')}) has no pid file`,
          )
        }
      }
      const status = await collect(site.spawn(['object', 'status']))
      for (const pid of live.keys()) {
        if (tracked.has(pid) && !status.stdout.includes(`(${pid} - `)) {
          lost.push(`after line ${moment.after}: status does not list ${pid}`)
        }
      }
      await collect(site.spawn(['object', 'stop']))
      // stop must have reached every live one; clean up whatever it did not.
      for (const pid of processesMentioning(site.root).keys()) {
        lost.push(`after line ${moment.after}: pid ${pid} survived stop`)
        try {
          process.kill(pid, 'SIGKILL')
        } catch {}
      }
      for (const [path, pid] of pidFiles(site.run)) {
        if (alive(pid)) lost.push(`after line ${moment.after}: ${path} names a live ${pid}`)
      }
    }
    expect(lost).toEqual([])
    expect(
      survivors.some((n) => n > 0 && n < SERVERS),
      `survivors per kill: ${survivors}`,
    ).toBe(true)
  })
})
