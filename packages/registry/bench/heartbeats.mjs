#!/usr/bin/env node
// Heartbeats per second sustained by the registry with 100 simulated services,
// on SQLite (node:sqlite, one file, WAL) and on PostgreSQL (FORKLIFT_TEST_PG_URL;
// skipped with a message when unset). The services are spread over PROCESSES
// worker processes, each with its own registry handle, as volume workers would
// be; every service heartbeats back to back for SECONDS.
//   pnpm --filter @forklift/registry bench
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openRegistry } from '@forklift/registry'
import pg from 'pg'

const SERVICES = 100
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 4)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
/** What 100 services need at cinder's default report_interval of 10 s. */
const NEEDED_PER_SECOND = SERVICES / 10

if (process.argv[2] === 'worker') {
  const [url, first, count, seconds] = process.argv.slice(3)
  const registry = openRegistry(url)
  const ids = []
  for (let i = 0; i < Number(count); i++) {
    ids.push((await registry.register({ host: `bench${Number(first) + i}@b`, binary: 'bench' })).id)
  }
  process.send({ ready: true })
  await once(process, 'message')
  const until = Date.now() + Number(seconds) * 1000
  let beats = 0
  let errors = 0
  await Promise.all(
    ids.map(async (id) => {
      while (Date.now() < until) {
        try {
          await registry.heartbeat(id)
          beats++
        } catch {
          errors++
        }
      }
    }),
  )
  await registry.close()
  process.send({ beats, errors })
  process.disconnect()
} else {
  const results = []
  const dir = mkdtempSync(join(tmpdir(), 'fl-bench-'))
  try {
    results.push(await run('sqlite', `sqlite:///${join(dir, 'bench.sqlite')}`))
    const base = process.env.FORKLIFT_TEST_PG_URL
    if (base) {
      const schema = `fl_bench_${process.pid}`
      const admin = new pg.Client({ connectionString: base })
      await admin.connect()
      await admin.query(`create schema ${schema}`)
      try {
        const url = `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`
        results.push(await run('postgres', url))
      } finally {
        await admin.query(`drop schema ${schema} cascade`)
        await admin.end()
      }
    } else {
      console.log(
        'postgres: skipped (FORKLIFT_TEST_PG_URL is not set; scripts/test-deps.sh provides it)',
      )
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  console.log('')
  console.log(
    'backend   services  processes  seconds  heartbeats  heartbeats/s  x needed (100 svc @ 10 s)',
  )
  for (const r of results) {
    console.log(
      `${r.name.padEnd(9)} ${String(SERVICES).padStart(8)}  ${String(PROCESSES).padStart(9)}  ${String(SECONDS).padStart(7)}  ${String(r.beats).padStart(10)}  ${r.rate.toFixed(0).padStart(12)}  ${(r.rate / NEEDED_PER_SECOND).toFixed(0).padStart(9)}x${r.errors ? `  (${r.errors} errors)` : ''}`,
    )
  }
  if (results.length === 2) {
    console.log(`postgres/sqlite: ${(results[1].rate / results[0].rate).toFixed(2)}`)
  }
}

async function run(name, url) {
  // Migrate once up front, as a launcher does before forking its workers.
  const r = openRegistry(url)
  await r.open()
  await r.close()
  const per = Math.ceil(SERVICES / PROCESSES)
  const children = []
  for (let p = 0; p < PROCESSES; p++) {
    const count = Math.min(per, SERVICES - p * per)
    children.push(
      fork(new URL(import.meta.url).pathname, [
        'worker',
        url,
        String(p * per),
        String(count),
        String(SECONDS),
      ]),
    )
  }
  try {
    await Promise.all(children.map((c) => once(c, 'message')))
    const done = children.map((c) => once(c, 'message'))
    const t0 = process.hrtime.bigint()
    for (const c of children) c.send('go')
    const reports = (await Promise.all(done)).map(([m]) => m)
    const secs = Number(process.hrtime.bigint() - t0) / 1e9
    const beats = reports.reduce((a, m) => a + m.beats, 0)
    const errors = reports.reduce((a, m) => a + m.errors, 0)
    console.log(`${name}: ${beats} heartbeats in ${secs.toFixed(2)} s`)
    return { name, beats, errors, rate: beats / secs }
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  }
}
