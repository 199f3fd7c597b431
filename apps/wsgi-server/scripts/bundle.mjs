#!/usr/bin/env node
// Bundles the built app (dist/main.js) and the runner's worker module into
// dist/bundle/, one ESM file each plus shared chunks, so a server process and
// its workers load a few files instead of ~150 (ESM resolution and
// package.json reads were most of a server's start-up CPU). The packages keep
// building with tsc; this only runs after `tsc` in `build`.
//
// Kept out of the bundle, imported at run time from their packages: the two
// modules that load a third-party package lazily with Node's resolution
// relative to themselves (@forklift/log's datagram transport, @forklift/notify
// and @forklift/posix → the posix native addon).
import { rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const APP = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(APP, 'package.json'))
const runtime = [
  '@forklift/log',
  '@forklift/notify',
  '@forklift/posix/signals',
  '@forklift/posix/unix-dgram',
]
const keep = new Map(runtime.map((spec) => [require.resolve(spec), spec]))

rmSync(join(APP, 'dist/bundle'), { recursive: true, force: true })
await build({
  absWorkingDir: APP,
  entryPoints: {
    main: 'dist/main.js',
    // The runner forks `new URL('./wsgi-worker.js', import.meta.url)`: the
    // bundled worker (its `./worker` export) must sit next to the chunk that
    // holds the runner's code.
    'wsgi-worker': require.resolve('@forklift/runner/worker'),
  },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  logLevel: 'warning',
  plugins: [
    {
      name: 'runtime-packages',
      setup(b) {
        b.onResolve({ filter: /.*/ }, async (args) => {
          if (args.pluginData === 'inner') return undefined
          const r = await b.resolve(args.path, {
            kind: args.kind,
            resolveDir: args.resolveDir,
            importer: args.importer,
            pluginData: 'inner',
          })
          const spec = keep.get(r.path)
          return spec ? { path: spec, external: true } : r
        })
      },
    },
  ],
})
