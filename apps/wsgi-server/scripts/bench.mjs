#!/usr/bin/env node
// `pnpm bench` for the wsgi server: a seamless reload under load, waited
// for the way an operator does (swift-reload PID, swift-init
// reload-seamless: each returns once the server says the reload is done),
// with 8 keep-alive clients hammering the server throughout. Prints each
// command's wall time beside the floor it cannot beat in the same run
// (`node -e 0`: every such command is a Node start, swift-reload two with its
// --test-config), the requests answered and the requests that failed.
// The server runs from an installed copy of the built app, so that the
// parent-upgrade row can replace its bundle before each reload-seamless:
// then SIGUSR1 re-execs the parent too (packages/runner/README.md).
//
//   node scripts/bench.mjs [--reloads N]
//
// Never asserts anything.
import { spawn } from 'node:child_process'
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { Agent, request } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const APP = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const REPO = resolve(APP, '../..')
const SWIFT_INIT = join(REPO, 'apps', 'swift-init', 'bin', 'swift-init.mjs')
const SWIFT_RELOAD = join(REPO, 'apps', 'swift-init', 'bin', 'swift-reload.mjs')

const { values: args } = parseArgs({ options: { reloads: { type: 'string', default: '5' } } })
const RELOADS = Math.max(1, Number(args.reloads))

const root = mkdtempSync(join(tmpdir(), 'forklift-wsgi-bench-'))
let serverPid
process.on('exit', () => {
  if (serverPid) {
    try {
      // Only our own server: its cmdline names the bench dir.
      if (readFileSync(`/proc/${serverPid}/cmdline`, 'utf8').includes(root)) {
        process.kill(-serverPid, 'SIGKILL')
      }
    } catch {}
  }
  rmSync(root, { recursive: true, force: true })
})

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer()
      .once('error', rej)
      .listen(0, '127.0.0.1', () => {
        const { port } = s.address()
        s.close(() => res(port))
      })
  })
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

function run(cmd, argv, env = process.env) {
  const t0 = performance.now()
  return new Promise((res) => {
    const c = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env })
    let out = ''
    c.stdout.on('data', (d) => {
      out += d
    })
    c.stderr.on('data', (d) => {
      out += d
    })
    c.on('close', (code) => res({ code, out, ms: performance.now() - t0 }))
  })
}

const etc = join(root, 'etc')
const runDir = join(root, 'run')
const bin = join(root, 'bin')
for (const d of [etc, runDir, bin]) mkdirSync(d, { recursive: true })
// The installed copy: bin, bundle, package.json; node_modules linked.
const copy = join(root, 'app')
mkdirSync(join(copy, 'dist'), { recursive: true })
cpSync(join(APP, 'bin'), join(copy, 'bin'), { recursive: true })
cpSync(join(APP, 'dist', 'bundle'), join(copy, 'dist', 'bundle'), { recursive: true })
cpSync(join(APP, 'package.json'), join(copy, 'package.json'))
symlinkSync(join(APP, 'node_modules'), join(copy, 'node_modules'))
const SERVER = join(copy, 'bin', 'swift-object-server')
const MAIN = join(copy, 'dist', 'bundle', 'main.js')
// A new build, as an installer puts it: a new file renamed over the old one.
const reinstall = () => {
  writeFileSync(`${MAIN}.new`, readFileSync(MAIN))
  renameSync(`${MAIN}.new`, MAIN)
}
writeFileSync(
  join(bin, 'swift-object-server'),
  `#!/bin/sh\nexec ${process.execPath} ${SERVER} "$@"\n`,
  {
    mode: 0o755,
  },
)
const port = await freePort()
const writeConf = (message) =>
  writeFileSync(
    join(etc, 'object-server.conf'),
    [
      '[DEFAULT]',
      'bind_ip = 127.0.0.1',
      `bind_port = ${port}`,
      'user =',
      'workers = 2',
      `log_file = ${join(root, 'object.log')}`,
      '',
      '[pipeline:main]',
      'pipeline = healthcheck object-server',
      '',
      '[filter:healthcheck]',
      'use = forklift#healthcheck',
      '',
      '[app:object-server]',
      'use = forklift#hello',
      `message = ${message}`,
      '',
    ].join('\n'),
  )
writeConf('gen-0')
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, NOTIFY_SOCKET: '' }
const dirs = ['--conf-dir', etc, '-r', runDir]
const start = await run(process.execPath, [SWIFT_INIT, 'object', 'start', ...dirs], env)
if (start.code !== 0) {
  console.error(`could not start the server:\n${start.out}`)
  process.exit(1)
}
serverPid = Number(readFileSync(join(runDir, 'object-server.pid'), 'utf8'))

// The load: 8 keep-alive clients, each one request at a time.
const agent = new Agent({ keepAlive: true, maxSockets: 8 })
let ok = 0
let failed = 0
let running = true
function get() {
  return new Promise((res) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent }, (r) => {
      r.resume()
      r.on('end', () => res(r.statusCode === 200))
      r.on('error', () => res(false))
    })
    req.setTimeout(30_000, () => req.destroy())
    req.on('error', () => res(false))
    req.end()
  })
}
const clients = Array.from({ length: 8 }, async () => {
  while (running) {
    if (await get()) ok++
    else failed++
  }
})

// The floor, in this same run and under the same load.
const floor = []
for (let i = 0; i < RELOADS; i++) floor.push((await run(process.execPath, ['-e', '0'])).ms)

const rows = []
let gen = 0
const seamless = () => [SWIFT_INIT, 'object', 'reload-seamless', ...dirs]
for (const [name, argv, before] of [
  ['swift-reload PID', () => [SWIFT_RELOAD, String(serverPid)]],
  ['swift-init object reload-seamless', seamless],
  ['reload-seamless after a new build', seamless, reinstall],
]) {
  const times = []
  const okAt = ok
  const failedAt = failed
  for (let i = 0; i < RELOADS; i++) {
    writeConf(`gen-${++gen}`)
    before?.()
    const r = await run(process.execPath, argv(), env)
    if (r.code !== 0) console.error(`${name} exited ${r.code}:\n${r.out}`)
    times.push(r.ms)
  }
  rows.push({ name, times, answered: ok - okAt, failed: failed - failedAt })
  const pidNow = Number(readFileSync(join(runDir, 'object-server.pid'), 'utf8'))
  if (pidNow !== serverPid) console.error(`${name}: the pid changed (${serverPid} → ${pidNow})`)
}
running = false
await Promise.all(clients)
agent.destroy()
await run(process.execPath, [SWIFT_INIT, 'object', 'stop', ...dirs], env)

const f = median(floor)
console.log(
  `reload under load (workers = 2, 8 keep-alive clients), ${RELOADS} reloads each, median wall time until the server said done:`,
)
console.log(`  ${'node -e 0 (floor)'.padEnd(36)} ${f.toFixed(0).padStart(6)} ms`)
for (const r of rows) {
  const m = median(r.times)
  console.log(
    `  ${r.name.padEnd(36)} ${m.toFixed(0).padStart(6)} ms  ${(m / f).toFixed(1)}× floor  answered ${r.answered}, failed ${r.failed}`,
  )
}
const log = readFileSync(join(root, 'object.log'), 'utf8')
console.log(
  `  parent upgrades seen in the log: ${log.split('parent upgraded in place').length - 1} (of ${RELOADS})`,
)
