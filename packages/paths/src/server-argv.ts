import { realpathSync } from 'node:fs'
import { basename, isAbsolute, normalize, resolve } from 'node:path'

/** How a server is recognised in a process's argv; see {@link matchServerArgv}. */
export interface ServerCommand {
  /** The binary's name, matched as a whole basename: `swift-object-server`. */
  command: string
  /**
   * The config the server was started with (the argument after the binary),
   * when known — or the configs it may have been started with: a pid file
   * stands for one config, and a process running another is not its server.
   * Compared after resolving relative paths and symlinks.
   */
  conf?: string | readonly string[]
  /**
   * `sh -c` scripts a launcher runs the server through, accepted word for
   * word: `[sh, -c, SCRIPT, $0, <binary>, <conf>…]` (swift-init's own start
   * gate is one).
   */
  shellWrappers?: readonly string[]
}

// Programs that run a script named by their first non-option argument.
const INTERPRETER = /^(?:node|nodejs|python|pypy|sh|bash|dash)(?:\d+(?:\.\d+)*)?$/
// Options after which the interpreter does not run the script that follows
// (code on the command line, a module, a syntax check only, a REPL…).
const NOT_A_SCRIPT_RUN = new Set([
  '-e',
  '--eval',
  '-p',
  '--print',
  '-pe',
  '-c',
  '--check',
  '-m',
  '-i',
  '--interactive',
  '--test',
  '--run',
  '-v',
  '--version',
  '-h',
  '--help',
])
// Options that take the next word as their value (node's and python's).
const TAKES_VALUE = new Set([
  '-r',
  '--require',
  '--import',
  '--loader',
  '--experimental-loader',
  '-C',
  '--conditions',
  '--title',
  '--env-file',
  '--inspect-port',
  '--disable-warning',
  '--watch-path',
  '-W',
  '-X',
])

/** `/usr/bin/env [-S 'node --flag'] [VAR=value]… node …` → `node …`. */
function skipEnv(argv: readonly string[]): readonly string[] {
  let i = 1
  const out: string[] = []
  for (; i < argv.length; i++) {
    const word = argv[i] ?? ''
    // The kernel passes a shebang's arguments as one word: `-S node --flag`.
    const split = /^(?:-S|--split-string=?)\s*(.*)$/s.exec(word)
    if (split) {
      out.push(...(split[1] ?? '').split(/\s+/).filter(Boolean))
      continue
    }
    if (word.startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) continue
    break
  }
  return [...out, ...argv.slice(i)]
}

/** Index of the program word after an interpreter and its options, or -1. */
function scriptIndex(argv: readonly string[]): number {
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i] ?? ''
    if (word === '--') return i + 1
    if (!word.startsWith('-') || word === '-') return i
    const name = word.split('=', 1)[0] ?? ''
    if (NOT_A_SCRIPT_RUN.has(word) || NOT_A_SCRIPT_RUN.has(name)) return -1
    if (TAKES_VALUE.has(word)) i++
  }
  return -1
}

/** A process's working directory, or a function that reads it only when needed. */
export type Cwd = string | undefined | (() => string | undefined)

function sameFile(a: string, b: string, cwd: Cwd): boolean {
  if (a === b || normalize(a) === normalize(b)) return true
  const base = typeof cwd === 'function' ? (isAbsolute(a) ? undefined : cwd()) : cwd
  const pa = isAbsolute(a) ? a : base === undefined ? undefined : resolve(base, a)
  const pb = resolve(b)
  if (pa === undefined || pb === undefined) return false
  if (pa === pb) return true
  try {
    return realpathSync(pa) === realpathSync(pb)
  } catch {
    return false
  }
}

/**
 * Is `argv` (a process's `/proc/<pid>/cmdline`) the server, started the way
 * servers are started? The binary must be the program itself — argv[0], or
 * the script an interpreter (`node`, `python3`, `sh`…, also through
 * `/usr/bin/env`) runs after its own options — with the conf as the next
 * word. So `python3 /usr/bin/swift-object-server /etc/swift/object-server.conf`,
 * `node --disable-sigusr1 …/bin/swift-object-server conf` and a launcher's
 * `sh /opt/forklift/bin/swift-object-server conf` are the server, and
 * `python3 trap.py /var/log/swift-object-server.log`, `tail -f …`,
 * `vi swift-object-server.conf` or `node -e CODE swift-object-server` are
 * not. `cwd` is the process's working directory, to resolve a relative conf.
 */
export function matchServerArgv(
  argv: readonly string[],
  server: ServerCommand,
  cwd?: Cwd,
): boolean {
  if (argv.length === 0 || server.command === '') return false
  const first = basename(argv[0] ?? '')
  let rest: readonly string[]
  if (first === server.command) {
    rest = argv
  } else if (
    (first === 'sh' || first === 'bash' || first === 'dash') &&
    argv[1] === '-c' &&
    server.shellWrappers?.includes(argv[2] ?? '\0')
  ) {
    return matchServerArgv(argv.slice(4), { ...server, shellWrappers: [] }, cwd)
  } else {
    const run = first === 'env' ? skipEnv(argv) : argv
    if (!INTERPRETER.test(basename(run[0] ?? ''))) return false
    const i = scriptIndex(run)
    if (i === -1 || basename(run[i] ?? '') !== server.command) return false
    rest = run.slice(i)
  }
  if (server.conf === undefined) return true
  const conf = rest[1]
  if (conf === undefined) return false
  const confs = typeof server.conf === 'string' ? [server.conf] : server.conf
  return confs.some((c) => sameFile(conf, c, cwd))
}
