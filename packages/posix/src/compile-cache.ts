/**
 * Node's compile cache (V8 code cache on disk) for a program's own bundle,
 * only where the program can trust it as it trusts its code.
 *
 * Compiling a ~200 KB bundle is 5–10% of a server process's start-up CPU;
 * with the cache, Node deserializes the bytecode instead. The cache holds
 * bytecode that the process runs, so a directory someone else can write to
 * would let them run code in it (as root, in a server parent): Node's
 * default (`$TMPDIR/node-compile-cache`) is such a place. The directory
 * used here sits in the program's package, beside the bundle, and is used
 * only when it is a real directory owned by root or by this process's user
 * and writable by no one else.
 */
const { lstatSync, mkdirSync } = process.getBuiltinModule('node:fs')
const { dirname } = process.getBuiltinModule('node:path')
const { fileURLToPath } = process.getBuiltinModule('node:url')

/** What {@link useCompileCache} did: `enabled`, or why not. */
export interface CompileCacheResult {
  enabled: boolean
  /** The directory Node caches in, when enabled (an earlier enable's, if there was one); Node keeps a subdirectory per Node version in it. */
  directory?: string
  /** Why not: one line naming the directory. */
  reason?: string
}

/** Options of {@link useCompileCache}. */
export interface UseCompileCacheOptions {
  /**
   * Pass the cache on to this process's Node children (its workers: the same
   * code) through `NODE_COMPILE_CACHE` and `NODE_COMPILE_CACHE_PORTABLE`;
   * default false. A program that starts other programs (a manager) leaves
   * it off: each of those caches in its own package.
   */
  children?: boolean
}

/** Why `dir` cannot be trusted with bytecode, or undefined when it can. */
function distrust(dir: string): string | undefined {
  const st = lstatSync(dir)
  if (!st.isDirectory()) return `${dir} is not a directory (a symlink is not followed)`
  const euid = process.geteuid?.() ?? -1
  if (st.uid !== 0 && st.uid !== euid) return `${dir} belongs to uid ${st.uid}, not root or ${euid}`
  if (st.mode & 0o022) return `${dir} is writable by group or others`
  return undefined
}

/**
 * Turns on Node's compile cache in `directory` (portable: keyed by paths
 * relative to it, so the package can move) when it, or for a directory not
 * there yet its parent, is trusted as above; creates it (mode 0755) if
 * missing. Never throws: a Node without the cache, `NODE_DISABLE_COMPILE_CACHE`
 * and an untrusted or unwritable place all leave the program uncached.
 */
export function useCompileCache(
  directory: string | URL,
  options: UseCompileCacheOptions = {},
): CompileCacheResult {
  const module = process.getBuiltinModule('node:module')
  if (typeof module.enableCompileCache !== 'function') {
    return { enabled: false, reason: `Node ${process.version} has no compile cache` }
  }
  const dir = typeof directory === 'string' ? directory : fileURLToPath(directory)
  try {
    let why: string | undefined
    try {
      why = distrust(dir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      why = distrust(dirname(dir))
      if (why === undefined) mkdirSync(dir, { mode: 0o755 })
    }
    if (why !== undefined) return { enabled: false, reason: why }
  } catch (err) {
    return { enabled: false, reason: `${dir}: ${(err as Error).message}` }
  }
  const result = module.enableCompileCache({ directory: dir, portable: true })
  const { ENABLED, ALREADY_ENABLED } = module.constants.compileCacheStatus
  if (result.status !== ENABLED && result.status !== ALREADY_ENABLED) {
    return {
      enabled: false,
      reason: result.message ?? `Node did not enable the compile cache in ${dir}`,
    }
  }
  // The base directory (Node keeps one subdirectory per Node version in it).
  const active = result.directory ?? dir
  if (options.children) {
    process.env.NODE_COMPILE_CACHE = active
    process.env.NODE_COMPILE_CACHE_PORTABLE = '1'
  }
  return { enabled: true, directory: active }
}
