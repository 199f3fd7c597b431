#!/usr/bin/env node
// Heartbeats per second sustained by the registry with 100 simulated services,
// on SQLite (node:sqlite, one file, rollback journal), PostgreSQL
// (FORKLIFT_TEST_PG_URL) and MariaDB (FORKLIFT_TEST_MYSQL_URL); a server
// whose URL is unset is skipped with a message. The services are spread over
// PROCESSES worker processes, each with its own registry handle, as volume
// workers would be; every service heartbeats back to back for SECONDS. The
// floor beside them: the same UPDATE on bare node:sqlite in one process (same
// journal and synchronous settings), with no query layer and no file checks.
//   pnpm --filter @forklift/registry bench
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { openRegistry } from '@forklift/registry'
import { createMysqlTestDatabase, createPgTestSchema } from '@forklift/registry/testing'

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
  let floor
  try {
    floor = sqliteFloor(join(dir, 'floor.sqlite'))
    results.push(await run('sqlite', `sqlite:///${join(dir, 'bench.sqlite')}`))
    for (const [name, env, create] of [
      ['postgres', 'FORKLIFT_TEST_PG_URL', createPgTestSchema],
      ['mariadb', 'FORKLIFT_TEST_MYSQL_URL', createMysqlTestDatabase],
    ]) {
      const base = process.env[env]
      if (!base) {
        console.log(`${name}: skipped (${env} is not set; scripts/test-deps.sh provides it)`)
        continue
      }
      const db = await create(base, 'fl_bench')
      try {
        results.push(await run(name, db.url))
      } finally {
        await db.drop()
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  console.log('')
  console.log(
    'backend   services  processes  seconds  heartbeats  heartbeats/s  x needed (100 svc @ 10 s)  / sqlite',
  )
  for (const r of results) {
    console.log(
      `${r.name.padEnd(9)} ${String(SERVICES).padStart(8)}  ${String(PROCESSES).padStart(9)}  ${String(SECONDS).padStart(7)}  ${String(r.beats).padStart(10)}  ${r.rate.toFixed(0).padStart(12)}  ${(r.rate / NEEDED_PER_SECOND).toFixed(0).padStart(24)}x  ${(r.rate / results[0].rate).toFixed(2).padStart(8)}${r.errors ? `  (${r.errors} errors)` : ''}`,
    )
  }
  console.log(
    `floor: bare node:sqlite UPDATE, 1 process, same journal: ${floor.toFixed(0)}/s; registry sqlite / floor: ${(results[0].rate / floor).toFixed(2)}`,
  )
}

/** The same heartbeat UPDATE on bare node:sqlite: what the disk and SQLite allow. */
function sqliteFloor(path) {
  const db = new DatabaseSync(path)
  db.exec('PRAGMA journal_mode = TRUNCATE')
  db.exec('PRAGMA synchronous = NORMAL')
  db.exec('create table s (id integer primary key, report_count integer, last_heartbeat text)')
  db.exec('insert into s (report_count) values (0)')
  const update = db.prepare(
    "update s set report_count = report_count + 1, last_heartbeat = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') where id = 1 returning *",
  )
  const until = Date.now() + 1000 * Math.min(SECONDS, 2)
  const t0 = process.hrtime.bigint()
  let n = 0
  while (Date.now() < until) {
    update.all()
    n++
  }
  const rate = n / (Number(process.hrtime.bigint() - t0) / 1e9)
  db.close()
  return rate
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
