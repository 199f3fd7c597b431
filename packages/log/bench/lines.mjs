#!/usr/bin/env node
// What a log line costs, against pino and the physical floor, measured in
// the same run on the same disk:
//  - records/s appended to a file: a bare writeSync of a ready line (the
//    floor), this package's JSON writer, pino with a sync destination;
//  - records/s a parent relays from worker JSON lines into its file;
//  - start-up: a bare `node -e 0`, importing this package and logging one
//    line, importing pino and logging one line (median of RUNS spawns, and RSS).
//   pnpm --filter @forklift/log bench
import { spawnSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLogger, relayLine } from '@forklift/log'
import { pino } from 'pino'

const N = Number(process.env.BENCH_LINES ?? 200_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 15)
const dir = mkdtempSync(join(tmpdir(), 'fl-log-bench-'))

function rate(label, fn) {
  const start = process.hrtime.bigint()
  fn()
  const s = Number(process.hrtime.bigint() - start) / 1e9
  return { label, perSecond: Math.round(N / s) }
}

try {
  const floorFd = openSync(join(dir, 'floor.log'), 'a')
  const line = `${JSON.stringify({ level: 'info', time: new Date().toISOString(), server: 'object-server', pid: process.pid, hostname: 'h', worker: 1, path: '/v1/a/c/o', status: 200, msg: 'request' })}\n`
  const floor = rate('writeSync of a ready line (floor)', () => {
    for (let i = 0; i < N; i++) writeSync(floorFd, line)
  })
  closeSync(floorFd)

  const ours = createLogger({ name: 'object-server', file: join(dir, 'ours.log') }).child({
    worker: 1,
  })
  const oursRate = rate('@forklift/log to a file', () => {
    for (let i = 0; i < N; i++) ours.info({ path: '/v1/a/c/o', status: 200 }, 'request')
  })

  const p = pino(
    {
      base: { server: 'object-server', pid: process.pid, hostname: 'h' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ dest: join(dir, 'pino.log'), sync: true }),
  ).child({ worker: 1 })
  const pinoRate = rate('pino, sync destination, to a file', () => {
    for (let i = 0; i < N; i++) p.info({ path: '/v1/a/c/o', status: 200 }, 'request')
  })

  const parent = createLogger({ name: 'object-server', file: join(dir, 'relay.log') }).child({
    generation: 1,
  })
  const relayRate = rate('relayLine of worker lines into a file', () => {
    for (let i = 0; i < N; i++) relayLine(parent, line)
  })

  console.log(`records/s appended to a file (${N} each):`)
  for (const r of [floor, oursRate, pinoRate, relayRate]) {
    console.log(
      `  ${r.label.padEnd(40)} ${String(r.perSecond).padStart(9)}/s  ${(r.perSecond / floor.perSecond).toFixed(2)}x floor`,
    )
  }

  const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url))
  const spawnCost = (label, code) => {
    const times = []
    let rss = 0
    for (let i = 0; i < RUNS; i++) {
      const start = process.hrtime.bigint()
      const res = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `${code}\nimport { writeSync as w } from 'node:fs'; w(3, String(process.memoryUsage.rss()))`,
        ],
        {
          // stderr a pipe, as a worker's is
          stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
          encoding: 'utf8',
        },
      )
      times.push(Number(process.hrtime.bigint() - start) / 1e6)
      rss = Math.max(rss, Number(res.output[3]))
    }
    times.sort((a, b) => a - b)
    return { label, ms: times[Math.floor(times.length / 2)], rss }
  }
  const bare = spawnCost('node -e 0 (floor)', '')
  const startOurs = spawnCost(
    'import @forklift/log, log a line',
    `const { createWorkerLogger } = await import(${JSON.stringify(entry)}); createWorkerLogger({ name: 'w' }).info('x')`,
  )
  const startPino = spawnCost(
    'import pino, log a line',
    `const { pino } = await import('pino'); pino().info('x')`,
  )
  console.log(`start-up (median of ${RUNS} spawns, max RSS):`)
  for (const r of [bare, startOurs, startPino]) {
    console.log(
      `  ${r.label.padEnd(40)} ${r.ms.toFixed(1).padStart(7)} ms  ${(r.ms / bare.ms).toFixed(2)}x floor  ${(r.rss / 2 ** 20).toFixed(1)} MiB`,
    )
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
