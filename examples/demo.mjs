#!/usr/bin/env node
// The main job: bring up the sample deployment in examples/ — four servers
// (proxy, account, container, object), each running our
// swift-<type>-server binary with a healthcheck + hello pipeline — with our
// swift-init, show their status and a healthcheck answer from each, and say
// how to stop them. Run it as `pnpm demo` (scripts/demo.sh: setup, then this).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { request } from 'node:http'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..')
// Another conf dir / run dir (the end-to-end test runs a copy on free ports).
const { values: opts } = parseArgs({
  options: { 'conf-dir': { type: 'string' }, 'run-dir': { type: 'string' } },
})
const CONF_DIR = resolve(opts['conf-dir'] ?? join(REPO, 'examples/etc'))
const RUN_DIR = resolve(opts['run-dir'] ?? join(REPO, 'examples/run'))
const SERVER_BIN_DIR = join(REPO, 'apps/wsgi-server/bin')
const SWIFT_INIT_APP = join(REPO, 'apps/swift-init')
// How many of each server's last log lines to show.
const LOG_LINES = 4
// Paths as the user would type them from here: relative inside the cwd, else absolute.
const rel = (p) => {
  const r = relative(process.cwd(), p)
  return r === '' ? '.' : r.startsWith('..') ? p : r
}

function fail(message) {
  console.error(`demo: ${message}`)
  process.exit(1)
}

function findSwiftInit() {
  for (const name of ['bin/swift-init', 'bin/swift-init.mjs']) {
    const bin = join(SWIFT_INIT_APP, name)
    if (existsSync(bin)) return bin
  }
  return undefined
}

const swiftInit = findSwiftInit()
if (!swiftInit) {
  fail(
    `our swift-init is not there (looked for ${rel(SWIFT_INIT_APP)}/bin/swift-init); it is apps/swift-init, run scripts/setup.sh after it lands`,
  )
}
for (const app of [SWIFT_INIT_APP, join(REPO, 'apps/wsgi-server')]) {
  if (!existsSync(join(app, 'dist')))
    fail(`${rel(app)} is not built: run scripts/setup.sh (pnpm run build)`)
}

// Our server binaries carry Swift's names (swift-object-server, ...);
// --bin-dir makes swift-init take them before any on PATH (Debian's Python
// ones, say). They run on the first `node` on PATH: the Node running us.
const env = {
  ...process.env,
  PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(':'),
}
const common = ['--conf-dir', CONF_DIR, '--run-dir', RUN_DIR, '--bin-dir', SERVER_BIN_DIR]
const stopCommand = `pnpm exec node ${rel(swiftInit)} --conf-dir ${rel(CONF_DIR)} --run-dir ${rel(RUN_DIR)} --bin-dir ${rel(SERVER_BIN_DIR)} all stop`

function swiftInitRun(...args) {
  const shown = `swift-init ${args.join(' ')}`
  console.log(`\n$ ${shown}`)
  const r = spawnSync(process.execPath, [swiftInit, ...common, ...args], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  })
  process.stdout.write(r.stdout ?? '')
  process.stdout.write(r.stderr ?? '')
  if (r.error) fail(`${shown}: ${r.error.message}`)
  return r.status ?? 1
}

function healthcheck(port) {
  return new Promise((resolvePromise) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthcheck', agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => {
        body += d
      })
      res.on('end', () => resolvePromise(`${res.statusCode} ${body.trim()}`))
    })
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')))
    req.on('error', (err) => resolvePromise(`error: ${err.message}`))
    req.end()
  })
}

mkdirSync(join(RUN_DIR, 'log'), { recursive: true })
const started = swiftInitRun('main', 'start')
swiftInitRun('all', 'status')

console.log('\nHealthchecks:')
let healthy = 0
const confs = readdirSync(CONF_DIR)
  .filter((f) => f.endsWith('-server.conf'))
  .sort()
for (const file of confs) {
  const port = /^bind_port\s*=\s*(\d+)/m.exec(readFileSync(join(CONF_DIR, file), 'utf8'))?.[1]
  const answer = port ? await healthcheck(Number(port)) : 'no bind_port'
  if (answer === '200 OK') healthy++
  console.log(
    `  ${file.replace(/\.conf$/, '').padEnd(17)} GET http://127.0.0.1:${port}/healthcheck -> ${answer}`,
  )
}

// The servers' own log lines (log_format = text in the confs: what a
// person reads), the last few of each: what they said while starting.
console.log('\nLogs:')
for (const file of confs) {
  const log = join(RUN_DIR, 'log', file.replace(/\.conf$/, '.log'))
  if (!existsSync(log)) continue
  console.log(`  ==> ${rel(log)} <==`)
  const lines = readFileSync(log, 'utf8').trimEnd().split('\n')
  for (const line of lines.slice(-LOG_LINES)) console.log(`  ${line}`)
}

console.log(`\nLogs: ${rel(join(RUN_DIR, 'log'))}/   pid files: ${rel(RUN_DIR)}/`)
console.log(`To stop it:\n  ${stopCommand}`)
if (healthy !== confs.length) {
  fail(
    `${confs.length - healthy} of ${confs.length} servers did not answer their healthcheck (swift-init start exited ${started})`,
  )
}
