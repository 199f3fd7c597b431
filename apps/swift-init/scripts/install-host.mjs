#!/usr/bin/env node
// Installs forklift's binaries on a host so that they run on a supported
// Node whatever the system's `node` is (Debian's is 20):
//
//   pnpm exec node apps/swift-init/scripts/install-host.mjs --prefix /opt/forklift
//
//   <prefix>/lib/node/bin/node     the Node running this script (the `node`
//                                  npm package's Node 24 under pnpm)
//   <prefix>/lib/<app>/            each app with its production dependencies
//                                  (`pnpm --filter <app> deploy --prod`)
//   <prefix>/bin/<binary>          one launcher per binary of each app: a
//                                  /bin/sh script that execs the bundled Node
//                                  on <app>/<bin> with --disable-sigusr1 and
//                                  SIGUSR1 blocked (no debugger by signal, and
//                                  no wrapper process: the pid is Node's)
//
// Then put <prefix>/bin on PATH (or symlink its launchers into /usr/local/bin).
// Options: --app NAME (repeatable; default every app that has binaries),
// --node PATH (another Node binary to bundle). Re-running replaces the
// previous install (each app is deployed beside it, then swapped in).
import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { enginesNode, launcherScript, satisfiesNodeRange } from '@forklift/posix/launch'

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const PNPM_TIMEOUT_MS = 300_000

const { values } = parseArgs({
  options: {
    prefix: { type: 'string' },
    app: { type: 'string', multiple: true },
    node: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
})
if (values.help || !values.prefix) {
  console.log('usage: install-host.mjs --prefix DIR [--app @forklift/<app>]... [--node PATH]')
  process.exit(values.help ? 0 : 2)
}
const prefix = resolve(values.prefix)

function fail(message) {
  console.error(`install-host: ${message}`)
  process.exit(1)
}

/** Every workspace app with binaries: name → its directory and package.json. */
function workspaceApps() {
  const apps = new Map()
  for (const dir of readdirSync(join(REPO, 'apps'))) {
    const pkgPath = join(REPO, 'apps', dir, 'package.json')
    if (!existsSync(pkgPath)) continue
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'))
    if (pkg.bin) apps.set(pkg.name, { dir: join(REPO, 'apps', dir), pkg })
  }
  return apps
}

/** Runs pnpm; returns its failure text, or undefined when it succeeded. */
function pnpm(args) {
  // Under `pnpm exec`/scripts npm_execpath is pnpm's own entry; else pnpm on PATH.
  const execpath = process.env.npm_execpath
  const [cmd, argv] =
    execpath && /pnpm/.test(basename(execpath))
      ? [process.execPath, [execpath, ...args]]
      : ['pnpm', args]
  const r = spawnSync(cmd, argv, {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: PNPM_TIMEOUT_MS,
  })
  if (r.status === 0) return undefined
  return `pnpm ${args.join(' ')} failed (${r.error?.message ?? `status ${r.status ?? r.signal}`}):\n${r.stdout ?? ''}${r.stderr ?? ''}`
}

function deploy(name, dir) {
  // --legacy: the workspace does not inject its packages (pnpm 10's default
  // deploy needs that). --offline first: after setup every package is in the
  // store, and a registry that cannot be reached can stall pnpm for minutes.
  const base = ['--filter', name, 'deploy', '--prod', '--legacy']
  if (pnpm([...base, '--offline', dir]) === undefined) return
  rmSync(dir, { recursive: true, force: true })
  const error = pnpm([...base, dir])
  if (error) fail(error)
}

const nodeBinary = resolve(values.node ?? process.execPath)
const version = spawnSync(nodeBinary, ['-p', 'process.versions.node'], { encoding: 'utf8' })
const found = version.status === 0 ? version.stdout.trim() : undefined

const all = workspaceApps()
const names = values.app ?? [...all.keys()]
for (const name of names) if (!all.has(name)) fail(`no app ${name} in ${join(REPO, 'apps')}`)
// Each app's engines.node is what its binaries check at start: refuse a Node
// they would refuse, before anything is installed.
for (const name of names) {
  const range = enginesNode(join(all.get(name).dir, 'package.json'))
  if (range && !(found && satisfiesNodeRange(found, range))) {
    fail(
      `${nodeBinary} is Node ${found ?? '?'}; ${name} needs Node ${range} (run this with \`pnpm exec node\`, or pass --node)`,
    )
  }
}

mkdirSync(join(prefix, 'bin'), { recursive: true })
mkdirSync(join(prefix, 'lib', 'node', 'bin'), { recursive: true })
const nodeTarget = join(prefix, 'lib', 'node', 'bin', 'node')
copyFileSync(nodeBinary, `${nodeTarget}.new`)
chmodSync(`${nodeTarget}.new`, 0o755)
renameSync(`${nodeTarget}.new`, nodeTarget)

for (const name of names) {
  const { dir, pkg } = all.get(name)
  if (!existsSync(join(dir, 'dist'))) fail(`${name} is not built (run pnpm run build)`)
  const short = name.replace(/^@[^/]+\//, '')
  const target = join(prefix, 'lib', short)
  const staging = `${target}.new`
  rmSync(staging, { recursive: true, force: true })
  deploy(name, staging)
  rmSync(`${target}.old`, { recursive: true, force: true })
  if (existsSync(target)) renameSync(target, `${target}.old`)
  renameSync(staging, target)
  rmSync(`${target}.old`, { recursive: true, force: true })

  const bins = typeof pkg.bin === 'string' ? { [short]: pkg.bin } : pkg.bin
  for (const [bin, rel] of Object.entries(bins)) {
    const launcher = join(prefix, 'bin', bin)
    writeFileSync(
      `${launcher}.new`,
      launcherScript({
        comment: `forklift: ${bin} from ${name}, on the Node installed beside it (not the system's).`,
        node: '$root/lib/node/bin/node',
        script: `$root/lib/${short}/${rel.replace(/^\.\//, '')}`,
        packageJson: `$root/lib/${short}/package.json`,
      }),
      { mode: 0o755 },
    )
    renameSync(`${launcher}.new`, launcher)
    console.log(`${launcher} -> ${name} ${rel}`)
  }
}
console.log(`Node ${found} in ${nodeTarget}; put ${join(prefix, 'bin')} on PATH`)
