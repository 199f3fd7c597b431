// `pnpm bench` of the supervisor: every way of running 2 Node workers behind
// one port, side by side in one run, on the same hello app, loaded by wrk with
// the same threads and connections: our WorkerPool (shared parent-bound
// socket, and one SO_REUSEPORT socket per worker), the real
// forklift-wsgi-server binary when it is built (twice: serving the same hello
// app through a paste pipeline, and the sample deployment's shape,
// healthcheck + the builtin hello), node:cluster round-robin and shared
// handle, PM2 cluster mode, and one process as the reference.
// Measured: requests/s and p99 with keep-alive and with a new connection per
// request; failed requests during 10 seamless reloads under load (ours and
// the wsgi-server's beside PM2's `reload`); time from kill -9 of a worker to a
// new worker answering, and connections left unanswered meanwhile; RSS per
// idle worker, and the CPU time and wake-ups (voluntary context switches,
// every thread) of an idle worker over BENCH_IDLE seconds. Prints tables with
// ratios; asserts nothing (numbers from a shared 2-core machine are noisy:
// compare inside one run).
//
// Environment: BENCH_DURATION (s, default 5), BENCH_CONNECTIONS (64),
// BENCH_THREADS (2), BENCH_ONLY (comma-separated contender keys),
// BENCH_RELOADS (10), BENCH_KILLS (3), BENCH_IDLE (s, 3),
// BENCH_PARTS (throughput,kill,reload).
import { execFile, execFileSync, fork, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const here = (p) => fileURLToPath(new URL(p, import.meta.url))
const pkgDir = here('..')
const repoDir = here('../../..')
const DURATION = Number(process.env.BENCH_DURATION ?? 5)
const CONNS = Number(process.env.BENCH_CONNECTIONS ?? 64)
const THREADS = Number(process.env.BENCH_THREADS ?? 2)
const RELOADS = Number(process.env.BENCH_RELOADS ?? 10)
const KILLS = Number(process.env.BENCH_KILLS ?? 3)
const IDLE_SEC = Number(process.env.BENCH_IDLE ?? 3)
const ONLY = process.env.BENCH_ONLY?.split(',').filter(Boolean)
const PARTS = new Set((process.env.BENCH_PARTS ?? 'throughput,kill,reload').split(','))
const WORKERS = 2
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const execFileP = promisify(execFile)
const scratch = mkdtempSync(join(tmpdir(), 'fl-bench-'))
const cleanups = []
process.on('exit', () => {
  for (const c of cleanups.reverse()) {
    try {
      c()
    } catch {}
  }
  rmSync(scratch, { recursive: true, force: true, maxRetries: 3 })
})
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))

function need(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

async function freePort() {
  const s = createServer()
  await new Promise((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address()
  await new Promise((r) => s.close(r))
  return port
}

// ---------------------------------------------------------------- /proc

function ppidOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return f[0] === 'Z' ? undefined : Number(f[1])
  } catch {
    return undefined
  }
}

function childrenOf(pid) {
  const out = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    if (ppidOf(d) === pid) out.push(Number(d))
  }
  return out
}

function alive(pid) {
  return ppidOf(pid) !== undefined
}

/** { rss, pss } in MiB. */
function memory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const rss = Number(status.match(/^VmRSS:\s+(\d+)/m)?.[1] ?? 0) / 1024
    const roll = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')
    const pss = Number(roll.match(/^Pss:\s+(\d+)/m)?.[1] ?? 0) / 1024
    return { rss, pss }
  } catch {
    return { rss: Number.NaN, pss: Number.NaN }
  }
}

/**
 * CPU time (ns, from schedstat) and voluntary context switches (each one a
 * wake-up after blocking) summed over every thread of `pid`, or undefined.
 */
function activity(pid) {
  try {
    let cpuNs = 0
    let wakeups = 0
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      cpuNs += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8')
      wakeups += Number(status.match(/^voluntary_ctxt_switches:\s+(\d+)/m)?.[1] ?? 0)
    }
    return { cpuNs, wakeups }
  } catch {
    return undefined
  }
}

/** Per idle process over `seconds`: CPU as % of one core, and wake-ups per second. */
async function idleActivity(pids, seconds) {
  const before = pids.map(activity)
  await sleep(seconds * 1000)
  return pids.map((pid, i) => {
    const a = before[i]
    const b = activity(pid)
    if (!a || !b) return { cpu: Number.NaN, wakeups: Number.NaN }
    return {
      cpu: ((b.cpuNs - a.cpuNs) / (seconds * 1e9)) * 100,
      wakeups: (b.wakeups - a.wakeups) / seconds,
    }
  })
}

// ---------------------------------------------------------------- HTTP

/** One GET on a new connection; resolves { status, worker } or { error }. */
function probe(port, timeoutMs = 3000) {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/', agent: false, headers: { connection: 'close' } },
      (res) => {
        res.resume()
        res.on('end', () => {
          clearTimeout(timer)
          resolve({ status: res.statusCode, worker: Number(res.headers['x-worker']) || undefined })
        })
      },
    )
    const timer = setTimeout(() => {
      req.destroy(new Error('timeout'))
    }, timeoutMs)
    req.on('error', (err) => {
      clearTimeout(timer)
      resolve({ error: err.message })
    })
    req.end()
  })
}

async function waitServing(port, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const r = await probe(port, 1000)
    if (r.status === 200) return
    await sleep(50)
  }
  throw new Error(`nothing answers on port ${port} after ${timeoutMs} ms`)
}

// ---------------------------------------------------------------- wrk

function toMs(v, unit) {
  const n = Number(v)
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n
}

function parseWrk(out) {
  const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? Number.NaN)
  const p99 = out.match(/^\s+99%\s+([\d.]+)(us|ms|s)\b/m)
  const requests = Number(out.match(/(\d+) requests in/)?.[1] ?? 0)
  const sock = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/)
  const errors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0
  const non2xx = Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0)
  return {
    rps,
    p99: p99 ? toMs(p99[1], p99[2]) : Number.NaN,
    requests,
    errors,
    errorDetail: sock ? sock[0] : 'Socket errors: none',
    non2xx,
  }
}

function wrkArgs(port, { close, duration }) {
  return [
    `-t${THREADS}`,
    `-c${CONNS}`,
    `-d${duration}s`,
    '--latency',
    ...(close ? ['-H', 'Connection: close'] : []),
    `http://127.0.0.1:${port}/`,
  ]
}

async function wrk(port, { close = false, duration = DURATION } = {}) {
  const { stdout } = await execFileP('wrk', wrkArgs(port, { close, duration }), {
    maxBuffer: 1 << 20,
  })
  return parseWrk(stdout)
}

/** wrk in the background until stop() (SIGINT: wrk prints its summary). */
function wrkUntilStopped(port, { close = false } = {}) {
  const child = spawn('wrk', wrkArgs(port, { close, duration: 600 }), {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  cleanups.push(() => child.kill('SIGKILL'))
  let out = ''
  child.stdout.on('data', (c) => {
    out += c
  })
  const done = new Promise((r) => child.on('close', r))
  return {
    async stop() {
      child.kill('SIGINT')
      await done
      return parseWrk(out)
    },
  }
}

// ---------------------------------------------------------------- contenders

/** A process that prints a line when ready; killed at exit. */
function startProc(cmd, args, options = {}) {
  const child = (options.fork ? fork : spawn)(cmd, args, {
    stdio: options.fork ? ['ignore', 'pipe', 'inherit', 'ipc'] : ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...options.env },
    ...(options.fork ? { execArgv: [] } : {}),
  })
  cleanups.push(() => {
    try {
      process.kill(child.pid, 'SIGKILL')
    } catch {}
    for (const c of childrenOf(child.pid)) {
      try {
        process.kill(c, 'SIGKILL')
      } catch {}
    }
  })
  return child
}

async function stopProc(child) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const pids = childrenOf(child.pid)
  child.kill('SIGTERM')
  const deadline = Date.now() + 5000
  while (Date.now() < deadline && (alive(child.pid) || pids.some(alive))) await sleep(20)
  for (const p of [child.pid, ...pids]) {
    try {
      process.kill(p, 'SIGKILL')
    } catch {}
  }
}

function plainContender(key, label, script, args) {
  return {
    key,
    label,
    async start(port) {
      const child = startProc(script, args, { env: { PORT: String(port) } })
      await waitServing(port)
      return {
        manager: child.pid,
        workers: async () => childrenOf(child.pid),
        stop: () => stopProc(child),
      }
    },
  }
}

function poolContender(key, label, mode, standby = false) {
  return {
    key,
    label,
    async start(port) {
      const args = [mode, String(WORKERS), ...(standby ? ['standby'] : [])]
      const child = startProc(here('./apps/pool-main.mjs'), args, {
        env: { PORT: String(port) },
        fork: true,
      })
      await waitServing(port)
      return {
        manager: child.pid,
        // The serving workers (not the standby): the pool knows them.
        workers: async () => (await ask(child, 'pids')).pids,
        reload: () => ask(child, 'reload'),
        stop: () => stopProc(child),
      }
    },
  }
}

function ask(child, cmd) {
  return new Promise((resolve) => {
    child.once('message', resolve)
    child.send({ cmd })
  })
}

/**
 * The real forklift-wsgi-server binary, 2 workers, serving `[pipeline:main]`
 * made of `pipeline` (lines of the config after the section header).
 */
function wsgiContender(key, label, pipeline) {
  return {
    key,
    label,
    available() {
      const bin = join(repoDir, 'apps/wsgi-server/bin/forklift-wsgi-server')
      if (!existsSync(join(repoDir, 'apps/wsgi-server/dist/main.js')))
        return 'apps/wsgi-server is not built'
      return existsSync(bin) ? true : 'apps/wsgi-server has no bin/forklift-wsgi-server'
    },
    async start(port) {
      const dir = mkdtempSync(join(scratch, 'wsgi-'))
      const conf = join(dir, 'hello.conf')
      writeFileSync(
        conf,
        [
          '[DEFAULT]',
          'bind_ip = 127.0.0.1',
          `bind_port = ${port}`,
          `workers = ${WORKERS}`,
          'user =',
          `log_file = ${join(dir, 'server.log')}`,
          '',
          '[pipeline:main]',
          ...pipeline,
          '',
        ].join('\n'),
      )
      const { createNotifyReceiver } = await import('@forklift/notify/testing')
      const receiver = await createNotifyReceiver()
      cleanups.push(() => receiver.close())
      const bin = join(repoDir, 'apps/wsgi-server/bin/forklift-wsgi-server')
      const child = startProc(process.execPath, [bin, conf], { env: receiver.env })
      await receiver.waitFor('READY=1', { timeoutMs: 20_000 })
      await waitServing(port)
      return {
        manager: child.pid,
        workers: async () => childrenOf(child.pid),
        async reload() {
          const after = receiver.received.length
          process.kill(child.pid, 'SIGUSR1')
          await receiver.waitFor('READY=1', { after, timeoutMs: 30_000 })
        },
        async stop() {
          await stopProc(child)
          receiver.close()
        },
      }
    },
  }
}

const contenders = [
  poolContender('pool', 'forklift WorkerPool (shared socket)', 'fd'),
  poolContender('pool-standby', 'forklift WorkerPool (shared socket, standby)', 'fd', true),
  wsgiContender('wsgi', 'forklift-wsgi-server (runner + pipeline)', [
    'pipeline = hello',
    '',
    '[app:hello]',
    `use = ${here('./apps/hello-app.cjs')}#factory`,
  ]),
  wsgiContender('wsgi-hc', 'forklift-wsgi-server, healthcheck + builtin hello', [
    'pipeline = healthcheck hello',
    '',
    '[filter:healthcheck]',
    'use = forklift#healthcheck',
    '',
    '[app:hello]',
    'use = forklift#hello',
  ]),
  poolContender('reuseport', 'forklift WorkerPool (reusePort)', 'reusePort'),
  plainContender('cluster-rr', 'node:cluster round-robin', process.execPath, [
    here('./apps/cluster-main.mjs'),
    'rr',
    String(WORKERS),
  ]),
  plainContender('cluster-none', 'node:cluster shared handle', process.execPath, [
    here('./apps/cluster-main.mjs'),
    'none',
    String(WORKERS),
  ]),
  {
    key: 'pm2',
    label: 'PM2 cluster mode',
    available() {
      return existsSync(join(pkgDir, 'node_modules/pm2/bin/pm2'))
        ? true
        : 'pm2 is not installed (pnpm install)'
    },
    async start(port) {
      const home = mkdtempSync(join(scratch, 'pm2-'))
      const pm2Bin = join(pkgDir, 'node_modules/pm2/bin/pm2')
      const env = { ...process.env, PM2_HOME: home, PORT: String(port) }
      const pm2 = (...args) =>
        execFileP(process.execPath, [pm2Bin, ...args], { env, maxBuffer: 1 << 24 })
      const killDaemon = () => {
        try {
          const pid = Number(readFileSync(join(home, 'pm2.pid'), 'utf8'))
          for (const c of childrenOf(pid)) process.kill(c, 'SIGKILL')
          process.kill(pid, 'SIGKILL')
        } catch {}
      }
      cleanups.push(killDaemon)
      await pm2('start', here('./apps/plain-server.cjs'), '-i', String(WORKERS), '--name', 'hello')
      await waitServing(port)
      const daemon = Number(readFileSync(join(home, 'pm2.pid'), 'utf8'))
      return {
        manager: daemon,
        workers: async () => childrenOf(daemon),
        reload: () => pm2('reload', 'hello'),
        async stop() {
          await pm2('kill').catch(() => {})
          killDaemon()
        },
      }
    },
  },
  plainContender('single', 'single process (reference)', process.execPath, [
    here('./apps/plain-server.cjs'),
  ]),
]

// ---------------------------------------------------------------- measurements

async function killTest(run, port) {
  const results = []
  for (let round = 0; round < KILLS; round++) {
    const before = new Set(await run.workers())
    const victim = [...before][0]
    if (victim === undefined) break
    let replacedMs
    let failed = 0
    let probes = 0
    let stop = false
    const t0 = performance.now()
    process.kill(victim, 'SIGKILL')
    const prober = async () => {
      while (!stop) {
        const r = await probe(port, 3000)
        probes++
        if (r.status !== 200) failed++
        else if (r.worker !== undefined && !before.has(r.worker) && replacedMs === undefined) {
          replacedMs = performance.now() - t0
        }
        if (replacedMs !== undefined || performance.now() - t0 > 8000) stop = true
        await sleep(2)
      }
    }
    await Promise.all([prober(), prober(), prober(), prober()])
    results.push({ replacedMs, failed, probes })
    // ForkRateLimiter allows workers + 1 forks per `workers` seconds: keep kills apart.
    await sleep(WORKERS * 1000 + 300)
  }
  return results
}

async function reloadTest(run, port, close) {
  const load = wrkUntilStopped(port, { close })
  await sleep(1000)
  const t0 = performance.now()
  for (let i = 0; i < RELOADS; i++) {
    await run.reload()
    await sleep(300)
  }
  const reloadSec = (performance.now() - t0) / 1000
  await sleep(1500)
  const w = await load.stop()
  return { ...w, reloadSec }
}

function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return Number.NaN
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

// ---------------------------------------------------------------- main

if (!need('wrk')) {
  // Not a failure of the package: say so loudly and let the other benches run.
  console.log(
    'supervisor bench: SKIPPED, wrk is not installed (apt-get install -y wrk; scripts/test-deps.sh installs it as root)',
  )
  process.exit(0)
}
console.log(
  `supervisor bench: ${WORKERS} workers, wrk -t${THREADS} -c${CONNS} -d${DURATION}s, Node ${process.version}, ${cpus().length} CPUs (wrk shares them)`,
)
const started = performance.now()
const results = []
for (const c of contenders) {
  if (ONLY && !ONLY.includes(c.key)) continue
  const why = c.available?.() ?? true
  if (why !== true) {
    console.log(`- ${c.label}: skipped (${why})`)
    continue
  }
  const port = await freePort()
  process.stdout.write(`- ${c.label} … `)
  let run
  try {
    run = await c.start(port)
  } catch (err) {
    console.log(`could not start: ${err.message}`)
    continue
  }
  const r = { key: c.key, label: c.label }
  try {
    await sleep(1000)
    const workers = c.key === 'single' ? [run.manager] : await run.workers()
    const mem = workers.map(memory)
    r.rss = median(mem.map((m) => m.rss))
    r.pss = median(mem.map((m) => m.pss))
    r.managerRss = c.key === 'single' ? undefined : memory(run.manager).rss
    const idle = await idleActivity(workers, IDLE_SEC)
    r.idleCpu = median(idle.map((a) => a.cpu))
    r.idleWakeups = median(idle.map((a) => a.wakeups))
    if (PARTS.has('throughput')) {
      await wrk(port, { duration: 1 }) // warm-up
      r.ka = await wrk(port)
      await wrk(port, { close: true, duration: 1 })
      r.close = await wrk(port, { close: true })
    }
    if (PARTS.has('kill') && c.key !== 'single' && !c.key.startsWith('wsgi'))
      r.kill = await killTest(run, port)
    if (PARTS.has('reload') && run.reload) {
      r.reloadKa = await reloadTest(run, port, false)
      r.reloadClose = await reloadTest(run, port, true)
    }
    console.log(
      `${Math.round(r.ka?.rps)} / ${Math.round(r.close?.rps)} req/s${r.kill ? `, kill→serving ${r.kill.map((k) => (k.replacedMs === undefined ? '∞' : Math.round(k.replacedMs))).join('/')} ms` : ''}${r.reloadKa ? `, reload failures ${r.reloadKa.errors + r.reloadKa.non2xx}/${r.reloadClose.errors + r.reloadClose.non2xx}` : ''}`,
    )
  } catch (err) {
    console.log(`failed: ${err.stack ?? err}`)
  } finally {
    await run.stop()
  }
  results.push(r)
}

// ---------------------------------------------------------------- report

const f0 = (x) => (Number.isFinite(x) ? String(Math.round(x)) : '–')
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–')
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–')
const pm2r = results.find((r) => r.key === 'pm2')
const peers = results.filter((r) =>
  ['cluster-rr', 'cluster-none', 'pm2', 'reuseport'].includes(r.key),
)
const table = (head, rows) => {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)))
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`
  return [
    line(head),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.map(line),
  ].join('\n')
}

for (const mode of ['ka', 'close']) {
  const best = Math.max(...peers.filter((p) => p.key !== 'reuseport').map((p) => p[mode]?.rps ?? 0))
  console.log(
    `\n${mode === 'ka' ? 'Keep-alive' : 'New connection per request (Connection: close)'}: requests/s and p99 (ratios to PM2 and to the best of node:cluster/PM2)`,
  )
  console.log(
    table(
      ['contender', 'req/s', 'p99 ms', 'errors', '× PM2', '× best peer'],
      results.map((r) => [
        r.label,
        f0(r[mode]?.rps),
        f1(r[mode]?.p99),
        (r[mode]?.errors ?? 0) + (r[mode]?.non2xx ?? 0),
        pm2r ? f2(r[mode]?.rps / pm2r[mode].rps) : '–',
        best ? f2(r[mode]?.rps / best) : '–',
      ]),
    ),
  )
}

const reloaders = results.filter((r) => r.reloadKa)
if (reloaders.length) {
  console.log(
    `\n${RELOADS} seamless reloads under load (wrk running throughout): failed requests = socket errors + non-2xx`,
  )
  console.log(
    table(
      [
        'contender',
        'keep-alive: failed / requests',
        'close: failed / requests',
        'time for the reloads',
      ],
      reloaders.map((r) => [
        r.label,
        `${r.reloadKa.errors + r.reloadKa.non2xx} / ${r.reloadKa.requests}`,
        `${r.reloadClose.errors + r.reloadClose.non2xx} / ${r.reloadClose.requests}`,
        `${f1(r.reloadKa.reloadSec)} s / ${f1(r.reloadClose.reloadSec)} s`,
      ]),
    ),
  )
}

const killers = results.filter((r) => r.kill)
if (killers.length) {
  console.log(
    `\nkill -9 of a worker → a new worker answering (${KILLS} rounds; probes: new connections from 4 clients, 3 s timeout)`,
  )
  console.log(
    table(
      ['contender', 'median ms', 'each round ms', 'probes failed / sent'],
      killers.map((r) => [
        r.label,
        f0(median(r.kill.map((k) => k.replacedMs ?? Number.NaN))),
        r.kill
          .map((k) => (k.replacedMs === undefined ? 'never' : Math.round(k.replacedMs)))
          .join(' '),
        `${r.kill.reduce((a, k) => a + k.failed, 0)} / ${r.kill.reduce((a, k) => a + k.probes, 0)}`,
      ]),
    ),
  )
}

console.log(
  `\nIdle workers (after start, before any load): RSS and PSS (shared pages split) per worker in MiB; RSS of the manager; per worker over ${IDLE_SEC} s, CPU in % of one core and wake-ups/s (voluntary context switches, all threads)`,
)
console.log(
  table(
    ['contender', 'worker RSS', 'worker PSS', 'manager RSS', 'idle CPU %', 'wake-ups/s'],
    results.map((r) => [
      r.label,
      f1(r.rss),
      f1(r.pss),
      r.managerRss === undefined ? '–' : f1(r.managerRss),
      f2(r.idleCpu),
      f1(r.idleWakeups),
    ]),
  ),
)
console.log(`\nbench took ${Math.round((performance.now() - started) / 1000)} s`)
