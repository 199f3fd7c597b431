import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { alive, freePort, tempDir } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { get, REPO, waitFor } from './helpers.js'

const DEMO = join(REPO, 'examples/demo.mjs')
const SWIFT_INIT = join(REPO, 'apps/swift-init/bin/swift-init.mjs')

/** Kills what a failed run may have left, by the pids in its run dir (only our servers). */
function killFromPidFiles(runDir: string): void {
  if (!existsSync(runDir)) return
  for (const f of readdirSync(runDir, { recursive: true }) as string[]) {
    if (!f.endsWith('.pid')) continue
    const pid = Number(readFileSync(join(runDir, f), 'utf8').trim())
    if (!(pid > 0) || !alive(pid)) continue
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    if (!cmdline.includes('-server')) continue
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      process.kill(pid, 'SIGKILL')
    }
  }
}

describe('the main job (examples/demo.mjs)', () => {
  it.skipIf(!existsSync(SWIFT_INIT))(
    'brings the sample deployment up with swift-init, shows status and healthchecks, and stops',
    async () => {
      expect(existsSync(SWIFT_INIT), `${SWIFT_INIT} (apps/swift-init) is missing`).toBe(true)
      // A copy of examples/etc on free ports, so a developer's running demo is left alone.
      // swift-init starts the servers, which bind the numbers in their confs
      // (Swift refuses bind_port = 0): ports free a moment ago.
      const dir = tempDir('fl-demo-')
      const confDir = join(dir, 'etc')
      const runDir = join(dir, 'run')
      cpSync(join(REPO, 'examples/etc'), confDir, { recursive: true })
      const ports: Record<string, number> = {}
      for (const f of readdirSync(confDir).filter((n) => n.endsWith('-server.conf'))) {
        const port = await freePort()
        ports[f.replace(/\.conf$/, '')] = port
        const file = join(confDir, f)
        writeFileSync(
          file,
          readFileSync(file, 'utf8').replace(/^bind_port = \d+$/m, `bind_port = ${port}`),
        )
      }
      onTestFinished(() => killFromPidFiles(runDir))

      const demo = spawnSync(process.execPath, [DEMO, '--conf-dir', confDir, '--run-dir', runDir], {
        cwd: REPO,
        encoding: 'utf8',
        timeout: 120_000,
      })
      const out = `${demo.stdout}${demo.stderr}`
      expect(demo.status, out).toBe(0)
      expect(Object.keys(ports).sort()).toEqual([
        'account-server',
        'container-server',
        'object-server',
        'proxy-server',
      ])
      for (const [server, port] of Object.entries(ports)) {
        expect(out).toContain(`Starting ${server}`)
        expect(out).toMatch(
          new RegExp(`${server} running \\(\\d+ - ${confDir}/${server}\\.conf\\)`),
        )
        expect(out).toContain(`GET http://127.0.0.1:${port}/healthcheck -> 200 OK`)
        // its log, as text a person reads, on the terminal
        expect(out).toMatch(
          new RegExp(
            `\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  ${server}\\[\\d+\\]: workers listening: 2`,
          ),
        )
      }
      expect(out).not.toContain('{"level"')
      const stop = /To stop it:\n\s+(.+)\n/.exec(out)?.[1]
      expect(stop, out).toMatch(/^pnpm exec node \S*swift-init\S* .*all stop$/)

      // The printed command, with the node running this test in place of `pnpm exec node`.
      const args = stop!.replace(/^pnpm exec node /, '').split(' ')
      const stopped = execFileSync(process.execPath, args, { cwd: REPO, encoding: 'utf8' })
      expect(stopped).toMatch(/Signal proxy-server {2}pid: \d+ {2}signal: 15/)
      for (const port of Object.values(ports)) {
        await waitFor(async () => {
          try {
            await get(`http://127.0.0.1:${port}/healthcheck`, { timeoutMs: 2_000 })
            return false
          } catch {
            return true
          }
        }, `port ${port} to close`)
      }
    },
  )
})
