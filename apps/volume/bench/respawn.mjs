#!/usr/bin/env node
// `pnpm --filter @forklift/volume-app bench`: how long forklift-volume takes
// to replace a SIGKILLed backend worker, beside a bare `node -e 0` start
// measured just before each kill (the machine's load moves both), split by
// the log lines' times: the launcher forked ("Started child"), the new
// worker's service began its start ("Starting forklift-volume node": Node
// booted, the worker's modules loaded, the registry opened), and its driver
// was loaded and built ("Starting volume driver": replaced). One backend (the
// test suite's ok-driver), SQLite registry in a temp dir.
// Environment: BENCH_ROUNDS (default 10).
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10)
const here = (p) => fileURLToPath(new URL(p, import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'fl-volume-bench-'))
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const conf = join(dir, 'volume.conf')
writeFileSync(
  conf,
  `[DEFAULT]
host = bench
state_path = ${dir}
report_interval = 10
periodic_interval = 0
enabled_backends = a

[database]
connection = sqlite:///${join(dir, 'registry.sqlite')}

[a]
volume_driver = ${here('../test/fixtures/ok-driver.mjs')}#createDriver
`,
)
const volume = spawn(
  process.execPath,
  [here('../bin/forklift-volume.mjs'), '--config-file', conf],
  {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  },
)
process.on('exit', () => {
  try {
    process.kill(-volume.pid, 'SIGKILL')
  } catch {}
  rmSync(dir, { recursive: true, force: true })
})
const lines = []
const waiters = new Set()
createInterface({ input: volume.stderr }).on('line', (line) => {
  try {
    lines.push({ ...JSON.parse(line), seenAt: performance.now() })
  } catch {
    return
  }
  for (const w of waiters) w()
})
function next(pred, timeoutMs = 20_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `bench: no such log line in time; last lines:\n${lines
              .slice(-5)
              .map((l) => JSON.stringify(l))
              .join('\n')}`,
          ),
        ),
      timeoutMs,
    )
    const check = () => {
      const l = lines.find(pred)
      if (!l) return
      waiters.delete(check)
      clearTimeout(timer)
      resolve(l)
    }
    waiters.add(check)
    check()
  })
}
const wall = (l) => Date.parse(l.time)

async function bareStart() {
  const t0 = performance.now()
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' })
  await once(child, 'exit')
  return performance.now() - t0
}

const ready = await next((l) => l.msg === 'All services started')
let [victim] = ready.children
const rounds = []
for (let i = 0; i < ROUNDS; i++) {
  const bare = await bareStart()
  const killedAt = performance.timeOrigin + performance.now()
  process.kill(victim, 'SIGKILL')
  const forked = await next(
    (l) => l.msg === `Started child ${l.child}` && wall(l) >= killedAt - 1 && l.child !== victim,
  )
  const began = await next(
    (l) => l.pid === forked.child && String(l.msg).startsWith('Starting forklift-volume node'),
  )
  const driver = await next(
    (l) => l.pid === forked.child && String(l.msg).startsWith('Starting volume driver'),
  )
  rounds.push({
    bare,
    fork: wall(forked) - killedAt,
    began: wall(began) - killedAt,
    replaced: wall(driver) - killedAt,
  })
  victim = forked.child
  await new Promise((r) => setTimeout(r, 1000))
}
volume.kill('SIGTERM')
await once(volume, 'exit')
const bareMs = median(rounds.map((r) => r.bare))
const show = (label, k) => {
  const ms = median(rounds.map((r) => r[k]))
  console.log(`  ${label.padEnd(44)} ${ms.toFixed(1).padStart(7)}  x${(ms / bareMs).toFixed(2)}`)
}
console.log(
  `forklift-volume: a SIGKILLed backend worker replaced, ${ROUNDS} rounds (median ms; ratio to bare start)`,
)
console.log(
  `  ${'bare `node -e 0` (spawn → exit)'.padEnd(44)} ${bareMs.toFixed(1).padStart(7)}  x1.00`,
)
show('SIGKILL → the launcher forked', 'fork')
show('SIGKILL → the new worker began its start', 'began')
show('SIGKILL → its driver started (replaced)', 'replaced')
console.log(
  `  ${'replaced / bare, per round (median)'.padEnd(44)} ${''.padStart(7)}  x${median(rounds.map((r) => r.replaced / r.bare)).toFixed(2)}`,
)
