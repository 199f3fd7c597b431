#!/usr/bin/env node
// Bundles the built app (dist/main.js) and the runner's worker module into
// dist/bundle/, one ESM file each plus shared chunks, so a server process and
// its workers load a few files instead of ~150 (ESM resolution and
// package.json reads were most of a server's start-up CPU). The packages keep
// building with tsc; this only runs after `tsc` in `build`.
//
// Kept out of the bundle, imported at run time from their package: the
// @forklift/posix subpaths (signals, unix-dgram, exec), which find the posix native addon relative to
// their own files, and whose signal bookkeeping (SIGUSR1 held until handled)
// must be one copy shared with the bin file's guardProgram.
//
// Bundled, though they load something relative to themselves: the rest of
// @forklift/log and @forklift/notify (external until issue 12: loading their
// ~20 files through ESM resolution cost each server parent and worker ~10 ms
// of CPU). @forklift/log's datagram transport requires
// `@forklift/posix/unix-dgram` lazily with Node's resolution from its own
// file; in the bundle that require starts from @forklift/log's entry instead
// (this app depends on @forklift/log, so it resolves from here), the package
// that depends on it — and lands on the same module as the external import.
//
// Node's built-ins: through process.getBuiltinModule, never an ESM import
// (scripts/bundle-app.mjs; the README's Start-up section has the numbers).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleApp } from '../../../scripts/bundle-app.mjs'

const APP = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(APP, 'package.json'))
const runtime = ['@forklift/posix/signals', '@forklift/posix/unix-dgram', '@forklift/posix/exec']
const keep = new Map(runtime.map((spec) => [require.resolve(spec), spec]))
// Files whose lazy require must resolve from their package, not the bundle.
const TRANSPORT = join(dirname(require.resolve('@forklift/log')), 'transport.js')
const RELATIVE_REQUIRE = 'createRequire(import.meta.url)'

await bundleApp(APP, {
  warm: 'bin/swift-object-server',
  entryPoints: {
    main: 'dist/main.js',
    // The runner forks `new URL('./wsgi-worker.js', import.meta.url)`: the
    // bundled worker (its `./worker` export) must sit next to the chunk that
    // holds the runner's code.
    'wsgi-worker': require.resolve('@forklift/runner/worker'),
  },
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
        b.onLoad({ filter: /transport\.js$/ }, (args) => {
          if (args.path !== TRANSPORT) return undefined
          const text = readFileSync(args.path, 'utf8')
          // A change in @forklift/log that this misses must fail the build,
          // not ship a bundle whose syslog transport cannot load its addon.
          if (text.split(RELATIVE_REQUIRE).length !== 2) {
            throw new Error(`${TRANSPORT}: expected one ${RELATIVE_REQUIRE} to rewrite`)
          }
          return {
            contents: text.replace(
              RELATIVE_REQUIRE,
              "createRequire(import.meta.resolve('@forklift/log'))",
            ),
            loader: 'js',
          }
        })
      },
    },
  ],
})
