// A ProcessLauncher of `argv[2]` workers (default 2) running ./launcher-service.mjs,
// for bench/respawn.mjs: prints its events as JSON lines with `t`, a
// high-resolution wall-clock time comparable across processes.
import { fileURLToPath } from 'node:url'
import { ProcessLauncher } from '../../dist/launcher.js'

const now = () => performance.timeOrigin + performance.now()
const out = (event, extra) =>
  process.stdout.write(`${JSON.stringify({ event, t: now(), ...extra })}\n`)
const launcher = new ProcessLauncher({ workerLog: false })
for (const name of ['ready', 'spawn', 'worker-started', 'worker-exit']) {
  launcher.on(name, (arg) => out(name, typeof arg === 'object' ? arg : {}))
}
launcher.launchService(
  { module: fileURLToPath(new URL('./launcher-service.mjs', import.meta.url)), export: 'create' },
  Number(process.argv[2] ?? 2),
)
process.exit(await launcher.wait())
