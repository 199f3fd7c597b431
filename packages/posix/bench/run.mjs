#!/usr/bin/env node
// What the addon saves, against its peers measured in the same run:
//   - limits: swift-init's three setrlimit calls through the addon, against
//     spawning util-linux `prlimit --pid` for each (what @forklift/privileges
//     does today), and against a bare `node -e 0` start as the floor of any spawn;
//   - datagrams: sends per second to a bound unix socket, one reused socket
//     (unconnected sendto, connected send) against the node-unix-socket addon.
// Prints numbers and ratios; asserts nothing. BENCH_QUICK=1 for a short run.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getResourceLimit, setResourceLimit } from '../dist/rlimit.js'
import { UnixDatagramSocket } from '../dist/unix-dgram.js'

const QUICK = process.env.BENCH_QUICK === '1'

function timeit(n, fn) {
  fn()
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) fn()
  return Number(process.hrtime.bigint() - t0) / 1e6 / n // ms per run
}

const fmt = (ms) => (ms < 0.1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`)

// --- limits: the same three limits, kept at their current values so the run changes nothing
const wanted = ['nofile', 'data', 'nproc'].map((r) => [r, getResourceLimit(r)])
const native = timeit(QUICK ? 200 : 2000, () => {
  for (const [r, l] of wanted) setResourceLimit(r, l, { pid: process.pid })
})
const prlimitArg = (l) => (l === Infinity ? 'unlimited' : String(l))
const spawned = timeit(QUICK ? 5 : 30, () => {
  for (const [r, l] of wanted) {
    const res = spawnSync('prlimit', [
      '--pid',
      String(process.pid),
      `--${r}=${prlimitArg(l.soft)}:${prlimitArg(l.hard)}`,
    ])
    if (res.status !== 0) throw new Error(`prlimit failed: ${res.stderr}`)
  }
})
const bare = timeit(QUICK ? 3 : 10, () => spawnSync(process.execPath, ['-e', '0']))
console.log('limits (nofile, data, nproc), one process:')
console.log(`  addon prlimit(2) x3      ${fmt(native)}`)
console.log(
  `  spawn prlimit x3         ${fmt(spawned)}   ${(spawned / native).toFixed(0)}x the addon`,
)
console.log(`  floor: bare node -e 0    ${fmt(bare)}`)

// --- datagrams
const dir = mkdtempSync(join(tmpdir(), 'fl-bench-'))
const path = join(dir, 'r.sock')
const receiver = new UnixDatagramSocket().bind(path)
const line = Buffer.from('<14>object-server: GET /v1/a/c/o 200 0.0012')
const n = QUICK ? 5000 : 50000
const drain = () => {
  while (receiver.receive()) {}
}
// The kernel queues at most net.unix.max_dgram_qlen datagrams per receiver
// (often 10): send fewer than that between drains.
function rate(send) {
  const batch = 8
  let sent = 0
  const t0 = process.hrtime.bigint()
  while (sent < n) {
    for (let i = 0; i < batch; i++) send()
    sent += batch
    drain()
  }
  return n / (Number(process.hrtime.bigint() - t0) / 1e9)
}
const unconnected = new UnixDatagramSocket()
const connected = new UnixDatagramSocket().connect(path)
const must = (ok) => {
  if (!ok) throw new Error('receiver queue full: lower the batch')
}
const rSendto = rate(() => must(unconnected.send(line, path)))
const rSend = rate(() => must(connected.send(line)))
let rPeer
try {
  const require = createRequire(join(import.meta.dirname, '../../supervisor/package.json'))
  const { DgramSocket } = require('node-unix-socket')
  const peer = new DgramSocket()
  rPeer = rate(() => peer.sendTo(line, 0, line.length, path))
  peer.close()
} catch (err) {
  console.log(`  (node-unix-socket not available: ${err.message})`)
}
console.log(`datagrams of ${line.length} bytes to a path socket (${n} each):`)
console.log(`  sendto, one socket       ${Math.round(rSendto)}/s`)
console.log(
  `  connected send           ${Math.round(rSend)}/s   ${(rSend / rSendto).toFixed(2)}x sendto`,
)
if (rPeer)
  console.log(
    `  node-unix-socket sendTo  ${Math.round(rPeer)}/s   ours ${(rSendto / rPeer).toFixed(2)}x`,
  )
for (const s of [unconnected, connected, receiver]) s.close()
rmSync(dir, { recursive: true, force: true })
