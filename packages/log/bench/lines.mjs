#!/usr/bin/env node
// What a log line costs, against pino and the physical floor, measured in
// the same run on the same disk:
//  - records/s appended to a file: a bare writeSync of a ready line (the
//    floor), this package's JSON writer, pino with a sync destination;
//  - records/s a parent relays from worker JSON lines into its file;
//  - start-up: a bare ESM `node`, importing this package and logging one
//    line, importing pino and logging one line (median of RUNS spawns, and RSS).
//   pnpm --filter @forklift/log bench
import { spawnSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLogger, relayLine } from '@forklift/log'
import { pino } from 'pino'

const N = Number(process.env.BENCH_LINES ?? 200_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 15)
const dir = mkdtempSync(join(tmpdir(), 'fl-log-bench-'))

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9)
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

// Contenders run in turn, round after round (A B C D A B C D ...), and each
// ratio is taken within its round: the machine's drift cancels out.
function interleaved(contenders, perRound) {
  const rates = contenders.map(() => [])
  for (let r = 0; r < ROUNDS; r++) {
    contenders.forEach(([, fn], i) => {
      const start = process.hrtime.bigint()
      fn(perRound)
      rates[i].push(perRound / (Number(process.hrtime.bigint() - start) / 1e9))
    })
  }
  return contenders.map(([label], i) => ({
    label,
    perSecond: Math.round(median(rates[i])),
    ratio: median(rates[i].map((v, r) => v / rates[0][r])),
  }))
}

try {
  const floorFd = openSync(join(dir, 'floor.log'), 'a')
  const line = `${JSON.stringify({ level: 'info', time: new Date().toISOString(), server: 'object-server', pid: process.pid, hostname: 'h', worker: 1, path: '/v1/a/c/o', status: 200, msg: 'request' })}\n`
  const ours = createLogger({ name: 'object-server', file: join(dir, 'ours.log') }).child({
    worker: 1,
  })
  const p = pino(
    {
      base: { server: 'object-server', pid: process.pid, hostname: 'h' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ dest: join(dir, 'pino.log'), sync: true }),
  ).child({ worker: 1 })
  const parent = createLogger({ name: 'object-server', file: join(dir, 'relay.log') }).child({
    generation: 1,
  })
  const perRound = Math.ceil(N / ROUNDS)
  const results = interleaved(
    [
      [
        'writeSync of a ready line (floor)',
        (n) => {
          for (let i = 0; i < n; i++) writeSync(floorFd, line)
        },
      ],
      [
        '@forklift/log to a file',
        (n) => {
          for (let i = 0; i < n; i++) ours.info({ path: '/v1/a/c/o', status: 200 }, 'request')
        },
      ],
      [
        'pino, sync destination, to a file',
        (n) => {
          for (let i = 0; i < n; i++) p.info({ path: '/v1/a/c/o', status: 200 }, 'request')
        },
      ],
      [
        'relayLine of worker lines into a file',
        (n) => {
          for (let i = 0; i < n; i++) relayLine(parent, line)
        },
      ],
    ],
    perRound,
  )
  closeSync(floorFd)
  console.log(
    `records/s appended to a file (median of ${ROUNDS} interleaved rounds of ${perRound}):`,
  )
  for (const r of results) {
    console.log(
      `  ${r.label.padEnd(40)} ${String(r.perSecond).padStart(9)}/s  ${r.ratio.toFixed(2)}x floor`,
    )
  }

  const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url))
  // resolved here: the spawned scripts run wherever the bench was started
  const pinoEntry = createRequire(import.meta.url).resolve('pino')
  const spawnOnce = (code) => {
    const start = process.hrtime.bigint()
    const res = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `${code}\nimport { writeSync as w } from 'node:fs'; w(3, String(process.memoryUsage.rss()))`,
      ],
      // stderr a pipe, as a worker's is
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], encoding: 'utf8' },
    )
    if (res.status !== 0) throw new Error(`start-up run failed: ${res.stderr}`)
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, rss: Number(res.output[3]) }
  }
  const starts = [
    ['bare ESM node (floor)', ''],
    [
      'import @forklift/log, log a line',
      `const { createWorkerLogger } = await import(${JSON.stringify(entry)}); createWorkerLogger({ name: 'w' }).info('x')`,
    ],
    [
      'import pino, log a line',
      `const { pino } = await import(${JSON.stringify(pinoEntry)}); pino().info('x')`,
    ],
  ]
  const runs = starts.map(() => [])
  for (let r = 0; r < RUNS; r++) {
    for (const [i, [, code]] of starts.entries()) runs[i].push(spawnOnce(code))
  }
  console.log(`start-up (median of ${RUNS} interleaved spawns; RSS at exit):`)
  starts.forEach(([label], i) => {
    const ms = median(runs[i].map((x) => x.ms))
    const ratio = median(runs[i].map((x, r) => x.ms / runs[0][r].ms))
    const rss = median(runs[i].map((x) => x.rss))
    console.log(
      `  ${label.padEnd(40)} ${ms.toFixed(1).padStart(7)} ms  ${ratio.toFixed(2)}x floor  ${(rss / 2 ** 20).toFixed(1)} MiB`,
    )
  })
} finally {
  rmSync(dir, { recursive: true, force: true })
}
