// `pnpm bench:respawn` of the supervisor: how long a ProcessLauncher takes to
// replace a SIGKILLed worker, beside a bare `node -e 0` start measured in the
// same run, and where the time goes: the parent learning of the death, the
// fork, Node's own boot, loading the worker's modules, the hello/init round
// trip and the service's start, and the parent hearing it started.
// Environment: BENCH_ROUNDS (default 20), BENCH_WORKERS (2).
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20)
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2)
const now = () => performance.timeOrigin + performance.now()
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function bareStart() {
  const t0 = now()
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' })
  await once(child, 'exit')
  return now() - t0
}

const launcher = spawn(
  process.execPath,
  [fileURLToPath(new URL('./apps/launcher-main.mjs', import.meta.url)), String(WORKERS)],
  { stdio: ['ignore', 'pipe', 'inherit'] },
)
process.on('exit', () => launcher.kill('SIGKILL'))
const events = []
const waiters = new Set()
createInterface({ input: launcher.stdout }).on('line', (line) => {
  try {
    events.push(JSON.parse(line))
  } catch {
    return
  }
  for (const w of waiters) w()
})
function next(pred, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('bench: timed out waiting for an event')),
      timeoutMs,
    )
    const check = () => {
      const e = events.find(pred)
      if (!e) return
      waiters.delete(check)
      clearTimeout(timer)
      resolve(e)
    }
    waiters.add(check)
    check()
  })
}

await next((e) => e.event === 'ready')
const rounds = []
const bare = []
for (let i = 0; i < ROUNDS; i++) {
  bare.push(await bareStart())
  const victim = events.findLast((e) => e.event === 'service-start' && e.worker === 0)
  const killedAt = now()
  process.kill(victim.pid, 'SIGKILL')
  const exit = await next((e) => e.event === 'worker-exit' && e.pid === victim.pid)
  const spawned = await next((e) => e.event === 'spawn' && e.t > exit.t - 1 && e.workerIndex === 0)
  const started = await next((e) => e.event === 'service-start' && e.pid === spawned.pid)
  const known = await next((e) => e.event === 'worker-started' && e.pid === spawned.pid)
  rounds.push({
    bare: bare[i],
    total: started.t - killedAt,
    parentKnows: known.t - killedAt,
    noticed: exit.t - killedAt,
    fork: spawned.t - exit.t,
    nodeBoot: started.nodeBooted - spawned.t,
    modules: started.moduleLoaded - started.nodeBooted,
    service: started.t - started.moduleLoaded,
    told: known.t - started.t,
  })
  // Let the brake refill: this measures a respawn, not the crash-loop limit.
  await sleep(1000)
}
launcher.kill('SIGTERM')
await once(launcher, 'exit')

const bareMs = median(bare)
const row = (label, xs) => [label, median(xs).toFixed(1), `x${(median(xs) / bareMs).toFixed(2)}`]
const col = (k) => rounds.map((r) => r[k])
const rows = [
  ['bare `node -e 0` (spawn → exit)', bareMs.toFixed(1), 'x1.00'],
  row('SIGKILL → new worker’s service started', col('total')),
  row('SIGKILL → the launcher knows (worker-started)', col('parentKnows')),
  row('  parent learns of the death', col('noticed')),
  row('  death → fork', col('fork')),
  row('  fork → Node booted (bootstrapComplete)', col('nodeBoot')),
  row('  booted → service module ran (entry, hello/init)', col('modules')),
  row('  module → service started', col('service')),
  row('  started → parent told', col('told')),
]
// The machine is shared and its load swings: each round's respawn against the bare start measured just before it.
rows.push([
  'SIGKILL → started / bare start, per round (median)',
  '',
  `x${median(rounds.map((r) => r.total / r.bare)).toFixed(2)}`,
])
const w0 = Math.max(...rows.map((r) => r[0].length))
console.log(
  `Respawn of a SIGKILLed ProcessLauncher worker, ${ROUNDS} rounds, ${WORKERS} workers (median ms; ratio to bare node start)`,
)
for (const r of rows) console.log(`${r[0].padEnd(w0)}  ${r[1].padStart(7)}  ${r[2]}`)
