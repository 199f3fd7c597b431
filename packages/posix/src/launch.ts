/**
 * Starting Node programs so that no signal ever opens the inspector, and
 * only on a Node they run on.
 *
 * Node's default SIGUSR1 action starts the inspector: in a root process any
 * local user could then run code as root. `node --disable-sigusr1` (Node >=
 * 22.14 / 23.7) blocks SIGUSR1 instead; the launchers here also block it from
 * the moment they exec Node (`env --block-signal`, GNU coreutils), because
 * Node resets dispositions at start-up and a SIGUSR1 in that instant would
 * end the process. A program that wants SIGUSR1 unblocks it once its handler
 * exists (`@forklift/posix/signals`).
 *
 * The launcher is `/bin/sh` code that `exec`s Node (no wrapper process: the
 * pid a supervisor records is Node's). Its Node is `$FORKLIFT_NODE`, else the
 * first `node` on PATH; pnpm's `node_modules/.bin/node` is a shell wrapper
 * that does not exec, so the real binary beside it is used instead.
 */
export {
  type CompileCacheResult,
  type UseCompileCacheOptions,
  useCompileCache,
} from './compile-cache.js'

// Built-ins by process.getBuiltinModule, not import: an ESM import of one
// builds a facade that reads every export, lazy ones too (~10 ms a process).
const { accessSync, closeSync, constants, openSync, readFileSync, readSync } =
  process.getBuiltinModule('node:fs')
const { delimiter } = process.getBuiltinModule('node:path')

// Shell text, not templates: `${…}` below is the shell's parameter expansion.
/** The Node a launcher runs when not given one. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
const DEFAULT_NODE = '${FORKLIFT_NODE:-node}'
/** Where a bin file's package.json is: above the bin/ its resolved path sits in. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
const BIN_PACKAGE = 'pkg=$(readlink -f "$0") && pkg=${pkg%[/]bin[/]*}/package.json'

/** The launcher's body, after `trap '' USR1` (ignored until Node blocks it): `$s` is the program, `pkg` (computed by `findPackage`, on failure only) its package.json. */
function launcherCore(node: string, findPackage: string): string {
  return `n=${node}
p=$(command -v "$n") && case $p in *node_modules/.bin/node) [ -x "\${p%/.bin/node}/node/bin/node" ] && n=\${p%/.bin/node}/node/bin/node ;; esac
if env --block-signal=USR1 "$n" --disable-sigusr1 -v >/dev/null 2>&1; then
  exec env --block-signal=USR1 "$n" --disable-sigusr1 "$s" "$@"
elif "$n" --disable-sigusr1 -v >/dev/null 2>&1; then
  exec "$n" --disable-sigusr1 "$s" "$@"
fi
${findPackage}
need=$(sed -n '/"engines"/,/}/s/^ *"node": *"\\([^"]*\\)".*$/\\1/p' "$pkg" 2>/dev/null)
b=\${0##*[/]} && b=\${b%.mjs}
echo "$b: needs Node \${need:-with --disable-sigusr1} (found $("$n" -v 2>/dev/null || echo none) at \${p:-$n}); set FORKLIFT_NODE to a newer node" >&2
exit 1
`
}

/**
 * The first lines of a bin file that is both a `/bin/sh` launcher and an ES
 * module: run as a program, the shell part re-executes the file on Node as
 * above; run by `node FILE`, Node skips it (a string and a comment). The
 * version error names the `engines.node` of the package.json above bin/.
 * The module code follows these lines.
 */
export function launcherHeader(): string {
  return `#!/bin/sh
':' /*; trap '' USR1; s=$0
# A launcher (@forklift/posix/launch): runs this file on Node with SIGUSR1
# blocked from exec on (never the inspector), on $FORKLIFT_NODE or PATH's node.
${launcherCore(DEFAULT_NODE, BIN_PACKAGE)}*/
`
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

function startsWith(file: string, head: Buffer): boolean {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch {
    return false
  }
  try {
    const buf = Buffer.alloc(head.length)
    return readSync(fd, buf, 0, buf.length, 0) === buf.length && buf.equals(head)
  } catch {
    return false
  } finally {
    closeSync(fd)
  }
}

let header: Buffer | undefined
// Whether `env --block-signal=USR1 <node> --disable-sigusr1 -v` runs, by node word and PATH.
const probed = new Map<string, boolean>()

/**
 * What the shell part of a {@link launcherHeader} file would `exec` for
 * `env` (its PATH and FORKLIFT_NODE), worked out here instead of by
 * running it: `['env', '--block-signal=USR1', NODE, '--disable-sigusr1',
 * file]`, NODE chosen as the launcher chooses it. Undefined when `file` is
 * not such a launcher, or when that command would not run (the launcher's
 * version probe fails; then the launcher itself must run, for its fallback
 * or its error line). Exec'ing the result (argv[0] looked up on `env`'s PATH) is the
 * launcher's exec without its `sh`, its probe `env` and `node -v`, or the
 * second `env`: about 9 ms of CPU per start. The probe runs once per Node
 * and PATH in this process.
 */
export function launcherCommand(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): string[] | undefined {
  header ??= Buffer.from(launcherHeader())
  if (!startsWith(file, header)) return undefined
  // Without PATH, sh and env each fall back to a built-in search path of their own.
  if (env.PATH === undefined) return undefined
  const path = env.PATH
  // As sh and env look a name up: an empty entry is the working directory,
  // which this process shares with what it spawns.
  const dirs = path.split(delimiter).map((d) => d || '.')
  // n=${FORKLIFT_NODE:-node}; p=$(command -v "$n"); pnpm's .bin/node → the real binary beside it.
  let node = env.FORKLIFT_NODE || 'node'
  const found = node.includes('/') ? node : dirs.map((d) => `${d}/${node}`).find(isExecutableFile)
  if (found?.endsWith('node_modules/.bin/node')) {
    const real = `${found.slice(0, -'/.bin/node'.length)}/node/bin/node`
    if (isExecutableFile(real)) node = real
  }
  const key = `${node}\0${path}`
  let ok = probed.get(key)
  if (ok === undefined) {
    // child_process on first use: every launcher imports this file to start.
    const { spawnSync } = process.getBuiltinModule('node:child_process')
    const probe = spawnSync('env', ['--block-signal=USR1', node, '--disable-sigusr1', '-v'], {
      env,
      stdio: 'ignore',
    })
    ok = probe.status === 0
    probed.set(key, ok)
  }
  return ok ? ['env', '--block-signal=USR1', node, '--disable-sigusr1', file] : undefined
}

/** Options of {@link launcherScript}. */
export interface LauncherScriptOptions {
  /** The Node binary; default `$FORKLIFT_NODE`, else PATH's `node`. */
  node?: string
  /**
   * The program to run. `$here` is the launcher's own directory (symlinks
   * resolved) and `$root` the directory above it, as in `$root/lib/x.mjs`.
   */
  script: string
  /** Its package.json, for the version error; default none. */
  packageJson?: string
  /** A comment line saying what this launcher runs. */
  comment?: string
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}

function shellWord(text: string): string {
  // $here and $root are the expansions the caller may use; the rest is literal.
  return text
    .split(/(\$here|\$root)/)
    .map((part) => (part === '$here' || part === '$root' ? `"${part}"` : part && shellQuote(part)))
    .join('')
}

/** A standalone `/bin/sh` launcher that runs `script` the way {@link launcherHeader} runs its file. */
export function launcherScript(options: LauncherScriptOptions): string {
  const node = options.node ? shellWord(options.node) : DEFAULT_NODE
  const pkg = options.packageJson ? shellWord(options.packageJson) : '/dev/null'
  return `#!/bin/sh
${options.comment ? `# ${options.comment.replace(/\n/g, ' ')}\n` : ''}trap '' USR1
here=$(dirname "$(readlink -f "$0")") && root=\${here%/*}
s=${shellWord(options.script)}
${launcherCore(node, `pkg=${pkg}`)}`
}

interface Comparator {
  op: '>=' | '>' | '<' | '<=' | '='
  v: [number, number, number]
}

function parseVersion(text: string): [number, number, number] | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text.trim())
  if (!m) return undefined
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)]
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

function comparators(term: string): Comparator[] | undefined {
  const out: Comparator[] = []
  // `>= 16.0.0` is `>=16.0.0`: an operator binds to the version after it.
  for (const word of term
    .trim()
    .replace(/([<>=^~]+)\s+/g, '$1')
    .split(/\s+/)) {
    const m = /^(\^|~|>=|<=|>|<|=)?(.+)$/.exec(word)
    const v = m && parseVersion(m[2]!)
    if (!m || !v) return undefined
    const op = m[1]
    if (op === '^' || op === '~') {
      // ^22.22.2 = >=22.22.2 <23; ~22.22.2 = >=22.22.2 <22.23
      const upper: [number, number, number] = op === '^' ? [v[0] + 1, 0, 0] : [v[0], v[1] + 1, 0]
      out.push({ op: '>=', v }, { op: '<', v: upper })
    } else {
      out.push({ op: (op ?? '=') as Comparator['op'], v })
    }
  }
  return out
}

/**
 * Whether Node `version` (`24.21.0` or `v24.21.0`) satisfies an `engines`
 * range: `||` alternatives of space-separated `>=`, `>`, `<`, `<=`, `=`, `^`
 * and `~` comparators. A range it cannot read is satisfied by nothing.
 */
export function satisfiesNodeRange(version: string, range: string): boolean {
  const v = parseVersion(version)
  if (!v) return false
  return range.split('||').some((term) => {
    const cs = comparators(term)
    if (!cs || cs.length === 0) return false
    return cs.every(({ op, v: w }) => {
      const d = compare(v, w)
      return op === '>='
        ? d >= 0
        : op === '>'
          ? d > 0
          : op === '<'
            ? d < 0
            : op === '<='
              ? d <= 0
              : d === 0
    })
  })
}

/** The `engines.node` range of a package.json, or undefined when it has none. */
export function enginesNode(packageJson: string | URL): string | undefined {
  const pkg = JSON.parse(readFileSync(packageJson, 'utf8')) as { engines?: { node?: unknown } }
  const range = pkg.engines?.node
  return typeof range === 'string' ? range : undefined
}

/**
 * The one-line error for a Node that does not satisfy `range`, or undefined
 * when `version` (default this Node's) does.
 */
export function nodeVersionError(
  name: string,
  range: string,
  version: string = process.version,
): string | undefined {
  if (satisfiesNodeRange(version, range)) return undefined
  return `${name}: needs Node ${range} (this is ${version.startsWith('v') ? version : `v${version}`}, ${process.execPath}); set FORKLIFT_NODE to a newer node`
}

/**
 * Exits 1 with one line on stderr unless this Node satisfies the
 * `engines.node` of `packageJson` (a path or a file: URL, e.g.
 * `new URL('../package.json', import.meta.url)` in a bin file). Call it
 * before importing anything that needs the newer Node.
 */
export function requireNode(packageJson: string | URL, name?: string): void {
  const range = enginesNode(packageJson)
  if (range === undefined) return
  const program =
    name ??
    process.argv[1]
      ?.split('/')
      .pop()
      ?.replace(/\.m?js$/, '') ??
    'node'
  const error = nodeVersionError(program, range)
  if (error === undefined) return
  process.stderr.write(`${error}\n`)
  process.exit(1)
}

/**
 * The first call of a bin file: {@link requireNode} on its package.json,
 * then keeps SIGUSR1 blocked whenever nothing listens for it
 * (`holdSignalUntilHandled`), so the program's own `process.on('SIGUSR1')`
 * handlers receive it and nothing else ever does — also when the file was
 * started as `node FILE` rather than through its launcher.
 */
export async function guardProgram(packageJson: string | URL, name?: string): Promise<void> {
  requireNode(packageJson, name)
  const { holdSignalUntilHandled } = await import('./signals.js')
  holdSignalUntilHandled('SIGUSR1')
}
