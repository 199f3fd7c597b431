// node:cluster with `workers` workers of plain-server.cjs on PORT, respawned
// at once when they die. argv[2]: 'rr' (round-robin, Node's default: the
// primary accepts and passes connections) or 'none' (SCHED_NONE: the primary
// binds and every worker accepts on the shared handle). Prints a line once
// every worker listens.
import cluster from 'node:cluster'
import { fileURLToPath } from 'node:url'

cluster.schedulingPolicy = process.argv[2] === 'none' ? cluster.SCHED_NONE : cluster.SCHED_RR
const workers = Number(process.argv[3] ?? 2)
cluster.setupPrimary({ exec: fileURLToPath(new URL('./plain-server.cjs', import.meta.url)) })
let listening = 0
cluster.on('listening', () => {
  if (++listening === workers) console.log('listening')
})
cluster.on('exit', (_worker, _code, signal) => {
  if (signal !== 'SIGTERM') cluster.fork()
})
for (let i = 0; i < workers; i++) cluster.fork()
process.on('SIGTERM', () => {
  for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM')
  process.exit(0)
})
