// Where our swift-init differs from Python's on purpose, rule by rule: what
// it prints instead, in terms of what Python prints. The harness applies the
// first rule that fits a scenario, and fails when a rule no longer changes
// anything (the difference is gone, so the rule must go too).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { APP } from '../../test/_helpers.js'
import type { Deliberate, Scenario, Transcript } from './harness.js'

const has = (s: Scenario, tag: string) => s.tags?.includes(tag) ?? false

/** The transcript's command lines rewritten to the scenario's own arguments. */
function withCommandsOf(t: Transcript, s: Scenario): Transcript {
  let i = 0
  return t.replace(/^\$ swift-init .*? {2}→ /gm, (line) => {
    const args = s.commands[i++]
    return args ? `$ swift-init ${args.join(' ')}  → ` : line
  })
}

/** Adds a line to the first command's output, after the resource-limit warnings start prints first. */
function prependToFirst(t: Transcript, line: string): Transcript {
  const lines = t.split('\n')
  let at = 1
  while (lines[at]?.startsWith('WARNING: Unable to modify')) at++
  lines.splice(at, 0, line)
  return lines.join('\n')
}

// Under -v, the pid file we refuse to trust is removed with swift's words.
const removal = (s: Scenario, t: Transcript) =>
  has(s, 'verbose')
    ? prependToFirst(t, 'Removing pid file ROOT/run/object-server.pid with wrong pid PID')
    : t

async function asReference(s: Scenario, variant: (name: string) => Promise<Transcript>) {
  return withCommandsOf(await variant('reference'), s)
}

const VERSION = JSON.parse(readFileSync(join(APP, 'package.json'), 'utf8')).version as string

/** Our `--help` after Python's: the options upstream does not have, and examples. */
export const HELP_EXTRAS = `  --conf-dir=DIR        directory of the config files (env SWIFT_DIR; default
                        /etc/swift)
  --bin-dir=DIR         look for server binaries (swift-<server>) here before
                        PATH; repeatable (env SWIFT_INIT_BIN_DIR, colon-
                        separated)
  --json                with status: print one JSON object per server
                        instance, changing nothing
  --version             show program's version number and exit

Examples:
  swift-init main start
  swift-init object.2 status
  swift-init 'object-*' stop -k 30 --kill-after-timeout
  swift-init proxy status --json`

export const DELIBERATE: readonly Deliberate[] = [
  {
    name: 'exact server match',
    why: 'a pid is the server only if its argv runs the server binary on its conf (Python takes any process whose cmdline contains swift-object-server, such as python3 trap.py …/swift-object-server.log): to us such a pid file is as good as none, and it is removed',
    applies: (s) => has(s, 'state:stranger'),
    expect: async (_p, variant, s) => removal(s, await asReference(s, variant)),
  },
  {
    name: 'cmdline check before every signal',
    why: 'Python checks /proc/<pid>/cmdline only before signal 0 (status, start) and sends SIGTERM, SIGHUP or SIGUSR1 to whatever else holds the pid; we check before every signal, so a pid file naming a stranger is as good as none',
    applies: (s) =>
      has(s, 'state:foreign') &&
      ['stop', 'kill', 'shutdown', 'restart', 'reload', 'force-reload', 'reload-seamless'].some(
        (c) => has(s, `cmd:${c}`),
      ),
    expect: async (_p, variant, s) => removal(s, await asReference(s, variant)),
  },
  {
    name: 'once returns',
    why: "`once` on a main server (which has no once mode) is a start that returns once the server is up; Python's waits for the server to exit, which is never",
    applies: (s) =>
      has(s, 'cmd:once') && has(s, 'server:object-server') && !has(s, 'state:running'),
    expect: async (_p, variant, s) => asReference(s, variant),
  },
  {
    name: 'no pid file for a child seen to exit',
    why: "a server swift-init saw exit (a failed start, a finished once, a foreground run) leaves no pid file naming its pid, which the kernel may give to anyone; Python leaves it, and the next command's -v reports it stale",
    applies: (s) =>
      has(s, 'child-exits') ||
      (has(s, 'cmd:once') && has(s, 'server:object-replicator') && !has(s, 'state:running')),
    expect: async (p) => {
      const [first, ...rest] = p.split(/(?=^\$ swift-init )/m)
      return [first, ...rest.map((t) => t.replace(/^Removing stale pid file .*\n?/gm, ''))]
        .join('')
        .replace(/\n$/, '')
    },
  },
  {
    name: 'named configs match exactly',
    why: '`object.2` is object-server/2.conf (or 2.conf.d) and its pid file object-server/2.pid; Python also takes 12.conf and 12.pid, and every pid file directly in the run dir (object-server.pid), so it reports and stops those servers too',
    applies: (s) => has(s, 'named-config'),
    expect: async (_p, _v, s) => s.expected!,
  },
  {
    name: 'run dir checked first',
    why: 'a run dir another user can write (group-writable here) is refused with one line before anything is spawned; Python writes pid files into it',
    applies: (s) => has(s, 'unsafe-run-dir'),
    expect: async (_p, _v, s) => s.expected!,
  },
  {
    name: '--help lists our options',
    why: "--help also lists --conf-dir, --bin-dir, --json and --version, and examples; the help printed on usage errors is exactly upstream's",
    applies: (s) => has(s, 'help'),
    expect: async (p) => `${p}\n${HELP_EXTRAS}`,
  },
  {
    name: '--version',
    why: 'every forklift binary answers --version; upstream swift-init has none',
    applies: (s) => has(s, 'version'),
    expect: async () => `$ swift-init --version  → exit 0\nswift-init ${VERSION}`,
  },
]
