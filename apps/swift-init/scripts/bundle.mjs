#!/usr/bin/env node
// Bundles the built CLIs (dist/cli.js, dist/reload-cli.js) into dist/bundle/
// so that each swift-init command loads a few files instead of every
// package's modules. @forklift/posix stays outside, imported from its package
// at run time: it finds its native addon relative to its own files, and its
// signal bookkeeping must be one copy shared with the bin file's guardProgram.
// Node's built-ins go through process.getBuiltinModule
// (scripts/bundle-app.mjs): `status` and `stop` never load child_process.
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleApp } from '../../../scripts/bundle-app.mjs'

const APP = resolve(dirname(fileURLToPath(import.meta.url)), '..')

await bundleApp(APP, {
  warm: 'bin/swift-init.mjs',
  entryPoints: ['dist/cli.js', 'dist/reload-cli.js'],
  external: ['@forklift/posix'],
})
