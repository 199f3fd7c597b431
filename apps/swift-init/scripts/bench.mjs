#!/usr/bin/env node
// `pnpm bench` for swift-init: start, status and stop of the 4 main servers
// and of 50 numbered object configs, with our swift-init and with Python
// swift-init (swift's Manager from Debian's python3-swift, through
// scripts/python-swift-init.py) on the same configs and the same server
// binaries, in the same run; printed as times and ratios. Where Debian's
// swift-object-server is installed it also times the whole Python stack
// (Python swift-init + Python object servers) against ours.
//
//   node scripts/bench.mjs [--repeat N] [--servers 50] [--full]
//   --full: also start 50 Python object servers (about a minute)
//
// Servers: apps/wsgi-server/bin (our swift-*-server binaries) when built,
// else the manager's fixture server. Never asserts anything.
//
// The floor: what the Node processes a start needs cost at the least, in
// the same run: one bare `node -e 0` per server process (each server is a
// parent and `workers = 1` worker, so 2 per config), run 2 at a time (the
// machine's 2 cores; `--lanes` to change), median of as many runs as ours.
// `ours/floor` is start over that. Wall times against that floor hold on a
// quiet machine only: under other load, 100 processes at once get a larger
// share of the CPU than 2 lanes of one each, which flatters us. So each
// start also has a CPU row, which load moves far less: the CPU seconds of
// swift-init (and what it waited for) plus every server process it left
// running (parents and workers, from /proc, once all ports accept),
// against the CPU seconds of the floor's processes.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const APP = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const REPO = resolve(APP, '../..')
const SWIFT_INIT = join(APP, 'bin', 'swift-init.mjs')
const PY_SWIFT_INIT = join(APP, 'scripts', 'python-swift-init.py')
const PYTHON = '/usr/bin/python3'
const WSGI_BIN = join(REPO, 'apps', 'wsgi-server', 'bin')
const FIXTURE = join(REPO, 'packages', 'manager', 'test', 'fixtures', 'server.mjs')
const MAIN = ['account', 'container', 'object', 'proxy']
const STATUS_RUNS = 5

const { values: args } = parseArgs({
  options: {
    repeat: { type: 'string', default: '3' },
    servers: { type: 'string', default: '50' },
    full: { type: 'boolean', default: false },
    lanes: { type: 'string', default: '2' },
    'many-repeat': { type: 'string', default: '3' },
  },
})
const REPEAT = Math.max(1, Number(args.repeat))
const MANY = Math.max(1, Number(args.servers))
const MANY_REPEAT = Math.max(1, Number(args['many-repeat']))
const LANES = Math.max(1, Number(args.lanes))
// Node processes per server: the parent and its one worker (workers = 1).
const PROCS_PER_SERVER = 2

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())

/** CPU ms of a process (`children`: of the children it has reaped instead). */
function cpuMs(pid, children = false) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (children ? Number(f[13]) + Number(f[14]) : Number(f[11]) + Number(f[12])) * TICK_MS
  } catch {
    return 0
  }
}

/** CPU ms of the live processes in `s`'s pid files and of their children (workers). */
function serversCpuMs(s) {
  let ms = 0
  for (const pid of pidsIn(s.run)) {
    ms += cpuMs(pid)
    let kids = []
    try {
      kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)
    } catch {}
    for (const k of kids) if (k) ms += cpuMs(Number(k))
  }
  return ms
}

/** Wall and CPU ms of `count` bare `node -e 0` runs, `LANES` at a time. */
async function floor(count) {
  const one = () =>
    new Promise((res, rej) => {
      const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' })
      child.once('error', rej)
      child.once('close', res)
    })
  let left = count
  const lane = async () => {
    while (left > 0) {
      left--
      await one()
    }
  }
  const cpu0 = cpuMs(process.pid, true)
  const t0 = process.hrtime.bigint()
  await Promise.all(Array.from({ length: Math.min(LANES, count) }, lane))
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, cpu: cpuMs(process.pid, true) - cpu0 }
}

function pythonSwift() {
  if (!existsSync(PYTHON)) return undefined
  try {
    return execFileSync(PYTHON, ['-c', 'import swift; print(swift.__version__)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
  } catch {
    return undefined
  }
}

const root = mkdtempSync(join(tmpdir(), 'forklift-bench-'))
const started = new Set()
process.on('exit', () => {
  // Whatever a failed run left behind: our own servers only (cmdline names the bench dir).
  for (const pid of started) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(root)) process.kill(-pid, 'SIGKILL')
    } catch {}
  }
  rmSync(root, { recursive: true, force: true, maxRetries: 5 })
})

const useWsgi = existsSync(join(REPO, 'apps', 'wsgi-server', 'dist', 'main.js'))
let serverBin = WSGI_BIN
if (!useWsgi) {
  serverBin = join(root, 'bin')
  mkdirSync(serverBin)
  const text = readFileSync(FIXTURE, 'utf8').replace(/^#!.*\n/, `#!${process.execPath}\n`)
  for (const s of MAIN) writeFileSync(join(serverBin, `swift-${s}-server`), text, { mode: 0o755 })
}
// Our binaries start with `#!/usr/bin/env node`: this Node first on PATH.
const ENV = {
  ...process.env,
  PATH: [serverBin, dirname(process.execPath), process.env.PATH ?? ''].join(delimiter),
}

function freePorts(n) {
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise((res, rej) => {
          const s = createServer()
          s.once('error', rej)
          s.listen(0, '127.0.0.1', () => {
            const { port } = s.address()
            s.close(() => res(port))
          })
        }),
    ),
  )
}

function ourConf(type, port, runDir) {
  return `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${port}
workers = 1
user =
log_file = ${runDir}/log/${type}-${port}.log
bind_timeout = 5

[pipeline:main]
pipeline = healthcheck ${type}-server

[filter:healthcheck]
use = forklift#healthcheck

[app:${type}-server]
use = forklift#hello
`
}

function pythonObjectConf(port, etc, devices) {
  return `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${port}
devices = ${devices}
mount_check = false
swift_dir = ${etc}
user = ${process.env.USER || execFileSync('id', ['-un'], { encoding: 'utf8' }).trim()}
workers = 1

[pipeline:main]
pipeline = healthcheck object-server

[app:object-server]
use = egg:swift#object

[filter:healthcheck]
use = egg:swift#healthcheck
`
}

/** A conf dir + run dir: `layout` is a list of [conf path relative to etc, port]. */
function site(name, files) {
  const etc = join(root, name, 'etc')
  const run = join(root, name, 'run')
  mkdirSync(join(run, 'log'), { recursive: true })
  for (const [rel, text] of files(etc, run)) {
    mkdirSync(dirname(join(etc, rel)), { recursive: true })
    writeFileSync(join(etc, rel), text)
  }
  return { etc, run }
}

function run(tool, s, servers, command) {
  const [cmd, argv, env] =
    tool === 'ours'
      ? [process.execPath, [SWIFT_INIT, ...servers, command, '--conf-dir', s.etc, '-r', s.run], ENV]
      : [
          PYTHON,
          [PY_SWIFT_INIT, ...servers, command, '-r', s.run],
          { ...ENV, SWIFT_DIR: s.etc, FORKLIFT_RUN_DIR: s.run },
        ]
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint()
    const child = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
    })
    child.stderr.on('data', (d) => {
      out += d
    })
    child.once('error', rej)
    child.once('close', (code) =>
      res({ ms: Number(process.hrtime.bigint() - t0) / 1e6, code, out }),
    )
  })
}

function accepts(port) {
  return new Promise((res) => {
    const sock = connect({ port, host: '127.0.0.1' })
    sock.once('connect', () => {
      sock.destroy()
      res(true)
    })
    sock.once('error', () => res(false))
  })
}

async function allAccept(ports, deadlineMs = 120_000) {
  const deadline = Date.now() + deadlineMs
  const pending = new Set(ports)
  while (pending.size) {
    for (const p of [...pending]) if (await accepts(p)) pending.delete(p)
    if (!pending.size) break
    if (Date.now() > deadline) throw new Error(`ports never accepted: ${[...pending].join(' ')}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

function pidsIn(dir) {
  const pids = []
  if (!existsSync(dir)) return pids
  for (const ent of execFileSync('find', [dir, '-type', 'f', '-name', '*.pid*'], {
    encoding: 'utf8',
  }).split('\n')) {
    if (!ent) continue
    const pid = Number(readFileSync(ent, 'utf8').trim())
    if (pid > 0) pids.push(pid)
  }
  return pids
}

function recordPids(s) {
  for (const pid of pidsIn(s.run)) started.add(pid)
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** One start → status → stop cycle; start is timed until every port accepts. */
async function cycle(tool, s, servers, ports) {
  const cpu0 = cpuMs(process.pid, true)
  const t0 = process.hrtime.bigint()
  const start = await run(tool, s, servers, 'start')
  if (start.code !== 0) throw new Error(`${tool} start failed (${start.code}):\n${start.out}`)
  await allAccept(ports)
  const startMs = Number(process.hrtime.bigint() - t0) / 1e6
  recordPids(s)
  const startCpu = cpuMs(process.pid, true) - cpu0 + serversCpuMs(s)
  // status is cheap and the machine noisy: the median of a few.
  const statusMs = []
  for (let i = 0; i < STATUS_RUNS; i++) {
    const status = await run(tool, s, servers, 'status')
    if (status.code !== 0) throw new Error(`${tool} status failed:\n${status.out}`)
    statusMs.push(status.ms)
  }
  const stop = await run(tool, s, servers, 'stop')
  if (stop.code !== 0) throw new Error(`${tool} stop failed:\n${stop.out}`)
  return { start: startMs, startCpu, status: median(statusMs), stop: stop.ms }
}

async function scenario(label, s, servers, ports, tools, repeat) {
  // Round by round (floor, ours, python, floor, ours, …) so that a change in
  // the machine's load falls on all of them alike.
  const runs = Object.fromEntries(tools.map((t) => [t, []]))
  const floors = []
  for (let i = 0; i < repeat; i++) {
    floors.push(await floor(ports.length * PROCS_PER_SERVER))
    for (const tool of tools) runs[tool].push(await cycle(tool, s, servers, ports))
  }
  const rows = {}
  for (const tool of tools) {
    rows[tool] = {
      start: median(runs[tool].map((r) => r.start)),
      'start cpu': median(runs[tool].map((r) => r.startCpu)),
      status: median(runs[tool].map((r) => r.status)),
      stop: median(runs[tool].map((r) => r.stop)),
    }
  }
  const floorOf = {
    start: median(floors.map((f) => f.ms)),
    'start cpu': median(floors.map((f) => f.cpu)),
  }
  const floorMs = floorOf.start
  const lines = []
  for (const what of ['start', 'start cpu', 'status', 'stop']) {
    const ours = rows.ours[what]
    const py = rows.python?.[what]
    const fl = floorOf[what]
    lines.push(
      `${`${what} ${label}`.padEnd(26)}${ours.toFixed(0).padStart(10)}${
        py === undefined
          ? '         -          -'
          : `${py.toFixed(0).padStart(11)}${`${(py / ours).toFixed(1)}x`.padStart(11)}`
      }${fl === undefined ? '' : `${fl.toFixed(0).padStart(9)}${`${(ours / fl).toFixed(2)}x`.padStart(12)}`}`,
    )
  }
  return { rows, floorMs, lines }
}

const pyVersion = pythonSwift()
const tools = pyVersion ? ['ours', 'python'] : ['ours']
console.log('swift-init bench')
console.log(
  `  servers: ${useWsgi ? 'apps/wsgi-server/bin (our swift-*-server, workers = 1)' : 'the manager fixture (apps/wsgi-server not built)'}`,
)
console.log(
  pyVersion
    ? `  Python: swift ${pyVersion} (Debian python3-swift) Manager via scripts/python-swift-init.py`
    : '  Python swift-init: skipped (no /usr/bin/python3 with swift; apt-get install python3-swift)',
)
console.log(
  `  median of ${REPEAT} runs (the ${MANY}-config scenario: ${MANY_REPEAT}; status: median of ${STATUS_RUNS} in each); times in ms; start = until every port accepts;\n  start cpu = CPU ms of swift-init and of every server process (parents, workers) once all accept`,
)
console.log(
  `  floor: ${PROCS_PER_SERVER} bare \`node -e 0\` per server (parent + 1 worker), ${LANES} at a time, in the same rounds (${process.version})`,
)
console.log(
  `  load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} CPUs (wall ratios to the floor hold when it is below the CPUs)\n`,
)
console.log(
  `${'scenario'.padEnd(26)}${'ours'.padStart(10)}${'python'.padStart(11)}${'py/ours'.padStart(11)}${'floor'.padStart(9)}${'ours/floor'.padStart(12)}`,
)

const ports4 = await freePorts(MAIN.length)
const main4 = site('main', (_etc, run) =>
  MAIN.map((t, i) => [`${t}-server.conf`, ourConf(t, ports4[i], run)]),
)
const a = await scenario('4 main', main4, ['main'], ports4, tools, REPEAT)
for (const l of a.lines) console.log(l)

const portsN = await freePorts(MANY)
const many = site('many', (_etc, run) =>
  portsN.map((p, i) => [`object-server/${i + 1}.conf`, ourConf('object', p, run)]),
)
const b = await scenario(`${MANY} object`, many, ['object'], portsN, tools, MANY_REPEAT)
for (const l of b.lines) console.log(l)

// Debian's Python object server (not ours, which also carries that name).
const pyServer = existsSync('/usr/bin/swift-object-server')
if (pyVersion && pyServer) {
  // The whole Python stack: Python swift-init starting Debian's Python object servers.
  const pyEnv = { ...process.env }
  const stack = async (n) => {
    const ports = await freePorts(n)
    const s = site(`py-${n}`, (etc) => {
      const devices = join(root, `py-${n}`, 'srv')
      mkdirSync(join(devices, 'sda'), { recursive: true })
      const swiftConf = existsSync('/etc/swift/swift.conf')
        ? readFileSync('/etc/swift/swift.conf', 'utf8')
        : '[swift-hash]\nswift_hash_path_suffix = bench\nswift_hash_path_prefix = bench\n'
      return [
        ['swift.conf', swiftConf],
        ...ports.map((p, i) => [`object-server/${i + 1}.conf`, pythonObjectConf(p, etc, devices)]),
      ]
    })
    const t0 = process.hrtime.bigint()
    const r = await new Promise((res) => {
      const child = spawn(PYTHON, [PY_SWIFT_INIT, 'object', 'start', '-r', s.run], {
        env: { ...pyEnv, SWIFT_DIR: s.etc, FORKLIFT_RUN_DIR: s.run },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      child.stdout.on('data', (d) => {
        out += d
      })
      child.once('close', (code) => res({ code, out }))
    })
    if (r.code !== 0) throw new Error(`python stack start failed:\n${r.out}`)
    await allAccept(ports, 300_000)
    const ms = Number(process.hrtime.bigint() - t0) / 1e6
    recordPids(s)
    await new Promise((res) => {
      spawn(PYTHON, [PY_SWIFT_INIT, 'object', 'stop', '-r', s.run], {
        env: { ...pyEnv, SWIFT_DIR: s.etc, FORKLIFT_RUN_DIR: s.run },
        stdio: 'ignore',
      }).once('close', res)
    })
    return ms
  }
  console.log(
    "\nwhole stacks: ours (our swift-init + our 4 main servers, from above) vs Python (Python swift-init + Debian's Python swift-object-server, numbered configs)",
  )
  const py4 = await stack(4)
  console.log(
    `${'start 4'.padEnd(26)}${a.rows.ours.start.toFixed(0).padStart(10)}${py4.toFixed(0).padStart(11)}${`${(py4 / a.rows.ours.start).toFixed(1)}x`.padStart(11)}`,
  )
  if (args.full) {
    const pyN = await stack(MANY)
    console.log(
      `${`start ${MANY}`.padEnd(26)}${b.rows.ours.start.toFixed(0).padStart(10)}${pyN.toFixed(0).padStart(11)}${`${(pyN / b.rows.ours.start).toFixed(1)}x`.padStart(11)}`,
    )
  } else {
    console.log(`(start ${MANY} Python object servers: pass --full; about a minute)`)
  }
} else {
  console.log("\nwhole-stack comparison skipped: Debian's swift-object-server is not installed")
}
