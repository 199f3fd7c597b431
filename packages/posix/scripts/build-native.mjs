#!/usr/bin/env node
// Compiles native/posix.c into prebuilds/<platform>-<arch>/forklift-posix.node,
// the binary the package loads (and ships in its tarball).
//
//   node scripts/build-native.mjs [--out FILE]
//
// Needs a C compiler (`cc`, or $CC) and the Node-API headers, taken from the
// first of: the `node-api-headers` package, the running Node's own
// `include/node` (official tarballs ship it), /usr/include/node. Nothing is
// downloaded. A Node-API addon is ABI-stable: one build serves every Node.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({ options: { out: { type: 'string' } } })
const out = resolve(
  values.out ??
    join(PKG, 'prebuilds', `${process.platform}-${process.arch}`, 'forklift-posix.node'),
)

function fail(message) {
  console.error(`build-native: ${message}`)
  process.exit(1)
}

if (process.platform !== 'linux') fail(`only Linux is supported, this is ${process.platform}`)

function headerDirs() {
  const dirs = []
  try {
    const require = createRequire(join(PKG, 'package.json'))
    dirs.push(join(dirname(require.resolve('node-api-headers/package.json')), 'include'))
  } catch {
    // not installed: fall back to a Node installation's headers
  }
  dirs.push(resolve(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node')
  return dirs
}

const include = headerDirs().find((d) => existsSync(join(d, 'node_api.h')))
if (!include) {
  fail(
    `no Node-API headers (node_api.h) in ${headerDirs().join(', ')}: install node-api-headers or Node's headers`,
  )
}

const cc = process.env.CC || 'cc'
mkdirSync(dirname(out), { recursive: true })
const tmp = `${out}.${process.pid}.tmp`
const args = [
  '-O2',
  '-Wall',
  '-Wextra',
  '-std=gnu11',
  '-fPIC',
  '-shared',
  '-fvisibility=hidden',
  '-I',
  include,
  join(PKG, 'native', 'posix.c'),
  '-o',
  tmp,
  '-lpthread',
]
const r = spawnSync(cc, args, { stdio: ['ignore', 'inherit', 'inherit'] })
if (r.error || r.status !== 0) {
  rmSync(tmp, { force: true })
  fail(
    r.error?.code === 'ENOENT'
      ? `no C compiler: ${cc} not found (install gcc, or set CC)`
      : `${cc} ${args.join(' ')} failed (${r.error?.message ?? `status ${r.status ?? r.signal}`})`,
  )
}
renameSync(tmp, out)
