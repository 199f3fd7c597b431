// What the apps' bundle scripts share (build time only; nothing published
// imports it): esbuild's options for a Node ESM bundle in <app>/dist/bundle/,
// and Node's built-ins through process.getBuiltinModule instead of ES-module
// imports. An ESM import of a built-in builds a facade
// that reads every one of its exports, lazy ones too (`fs.ReadStream` loads
// all of streams, `util` its diff printer): ~10 ms of CPU per process.
//
// Each built-in becomes a module of one export per name, so esbuild drops
// the names nothing imports. A plain function (lower-case name, no promisify
// twin) becomes a wrapper that loads its module on the first call, so a
// process that never spawns never loads child_process; classes, objects and
// constants are read when the bundle runs, as an import would read them.
// The export names are the building Node's (the pinned Node 24).
//
// `warm`: a bin file of the app, run once with --version after bundling; its
// useCompileCache (@forklift/posix/launch) fills <app>/dist/compile-cache
// with the bundle's bytecode for the building Node, so the first start of an
// installed package is already cached (the cache holds what compiles while
// the modules load, the same for --version as for a server start).
import { spawnSync } from 'node:child_process'
import { chmodSync, readdirSync, rmSync } from 'node:fs'
import { createRequire, isBuiltin } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

/** The esbuild plugin: each Node built-in a module of one export per name. */
export function builtinsPlugin() {
  return {
    name: 'builtins',
    setup(b) {
      b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) =>
        isBuiltin(args.path) ? { path: args.path, namespace: 'builtin' } : undefined,
      )
      b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => {
        const id = args.path.startsWith('node:') ? args.path : `node:${args.path}`
        const mod = process.getBuiltinModule(id)
        const names = Object.keys(mod).filter(
          (n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default',
        )
        const lazy = (n) =>
          typeof mod[n] === 'function' && /^[a-z]/.test(n) && !(promisify.custom in mod[n])
        return {
          contents: [
            'let $$m',
            `const $$load = () => ($$m ??= process.getBuiltinModule(${JSON.stringify(id)}))`,
            'const $$get = (k) => $$load()[k]',
            'export default /* @__PURE__ */ $$load()',
            ...names.map((n) =>
              lazy(n)
                ? `export function ${n}(...a) { return $$load().${n}(...a) }`
                : `export const ${n} = /* @__PURE__ */ $$get(${JSON.stringify(n)})`,
            ),
          ].join('\n'),
          loader: 'js',
        }
      })
    },
  }
}

/** Rebuilds `<app>/dist/bundle/` from `entryPoints`, split into shared chunks; `plugins` run after the built-ins one; `warm` fills the compile cache. */
export async function bundleApp(app, { entryPoints, external = [], plugins = [], warm }) {
  // esbuild is each app's devDependency: resolved from the app, not from here.
  const esbuild = createRequire(join(app, 'package.json')).resolve('esbuild')
  const { build } = await import(pathToFileURL(esbuild).href)
  rmSync(join(app, 'dist/bundle'), { recursive: true, force: true })
  await build({
    absWorkingDir: app,
    entryPoints,
    outdir: 'dist/bundle',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    external,
    logLevel: 'warning',
    plugins: [builtinsPlugin(), ...plugins],
  })
  rmSync(join(app, 'dist/compile-cache'), { recursive: true, force: true })
  if (warm === undefined) return
  const env = { ...process.env }
  // The bin's own directory, not one an outer NODE_COMPILE_CACHE names.
  for (const key of [
    'NODE_COMPILE_CACHE',
    'NODE_COMPILE_CACHE_PORTABLE',
    'NODE_DISABLE_COMPILE_CACHE',
  ])
    delete env[key]
  const run = spawnSync(process.execPath, ['--disable-sigusr1', join(app, warm), '--version'], {
    env,
    encoding: 'utf8',
  })
  if (run.status !== 0)
    throw new Error(`${warm} --version failed (${run.status ?? run.signal}): ${run.stderr.trim()}`)
  // Node writes its entries 0600: readable as the bundle is, so a server run
  // as another user than the installer finds them too.
  const cache = join(app, 'dist/compile-cache')
  for (const entry of readdirSync(cache, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) chmodSync(join(entry.parentPath, entry.name), 0o644)
  }
}
