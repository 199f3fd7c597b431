// The classes of swift-init behaviour the harness runs on both swift-inits.
import { chmodSync, mkdirSync } from 'node:fs'
import { freePort } from '@forklift/test-utils'
import { pythonObjectServerConf } from '../../test/_helpers.js'
import type { Scenario } from './harness.js'
import type { PidState, Sandbox } from './sandbox.js'

const R = ['-r', '$RUN']
const STATUS_V = ['object', 'status', '-v', ...R]

/** Every argument-handling path: optparse errors, help, the usage on too few arguments, unknown commands. */
export function usageScenarios(): Scenario[] {
  const lists: string[][] = [
    [],
    ['object'],
    ['status'],
    ['object', 'frobnicate'],
    ['object', 'Frob-Nicate'],
    ['frob', 'object'],
    ['object', 'get_command'],
    ['object', 'kill_child_pids'],
    ['object', 'list-commands'],
    ['-h'],
    ['--help'],
    ['--he'],
    ['object', 'status', '--help'],
    ['--help', '--bogus'],
    ['--bogus', '--help'],
    ['--bogus'],
    ['object', 'start', '--bogus'],
    ['-x'],
    ['-vx', 'object', 'status'],
    ['-c'],
    ['-k'],
    ['-r'],
    ['--config-num'],
    ['--run-dir'],
    ['-c', 'abc', 'object', 'status'],
    ['-c', '1.5', 'object', 'status'],
    ['-c', '08', 'object', 'status'],
    ['-c', "it's", 'object', 'status'],
    ['-c', 'a"b\'c', 'object', 'status'],
    ['-c', '', 'object', 'status'],
    ['-c', 'x\ty', 'object', 'status'],
    ['-k', 'soon', 'object', 'stop'],
    ['--kill-wait=', 'object', 'stop'],
    ['--config-num=two', 'object', 'status'],
    ['--conf=two'],
    ['--verbose=yes', 'object', 'status'],
    ['--verb=1'],
    ['--strict=1'],
    ['--no'],
    ['--no-'],
    ['--kill'],
    ['--n'],
    ['--s'],
    ['--=x'],
    ['---x'],
    ['-'],
    ['--'],
    ['--', 'object'],
    ['--', '-v', 'status'],
  ]
  return lists.map((args) => ({
    id: `usage: ${JSON.stringify(args)}`,
    cls: 'usage',
    setup: (sb) => {
      sb.install('object-server')
    },
    commands: [args],
    // Help is printed when a help flag is the first option optparse reaches.
    tags: ['-h', '--help', '--he'].includes(args.find((a) => a.startsWith('-')) ?? '')
      ? ['help']
      : [],
  }))
}

/** Server names and globs: case, aliases, named configs, globs, names that find nothing. */
export function nameScenarios(): Scenario[] {
  const names = [
    'object',
    'object-server',
    'OBJECT',
    'Object',
    'object-SERVER',
    'ALL',
    'Main',
    'all',
    'main',
    'rest',
    'nonexistent',
    '',
    'object.',
    '.1',
    'object.1',
    'object-server.1',
    'object.1.2',
    'object_server',
    'obj*',
    'OBJ*',
    'object-*',
    '*-server',
    '*replicator',
    '*',
    'object-replicator',
  ]
  const setup = async (sb: Sandbox) => {
    sb.install('object-server', 'object-replicator', 'proxy-server')
    const conf = sb.conf('object-server.conf')
    sb.conf('object-server/1.conf')
    sb.conf('proxy-server.conf')
    await sb.plant('running', 'object-server.pid', 'object-server', conf)
  }
  const out: Scenario[] = []
  for (const name of names) {
    // A named config whose pid file does not exist: Python also takes every
    // pid file directly under the run dir (object-server.pid), ours does not.
    const named = /^[^.]+\..*\d/.test(name)
    out.push({
      id: `names: ${JSON.stringify(name)} status`,
      cls: 'names',
      setup,
      commands: [[name, 'status', ...R]],
      unordered: true,
      ...(named
        ? {
            tags: ['named-config'],
            expected: `$ swift-init ${name} status -r $RUN  → exit 1\nNo object-server running`,
          }
        : {}),
    })
  }
  out.push(
    {
      id: 'names: two names, a glob and an alias, with -v',
      cls: 'names',
      setup,
      commands: [['object', 'proxy', 'object-*', 'main', 'status', '-v', ...R]],
      unordered: true,
    },
    {
      id: 'names: start OBJECT (no swift-OBJECT-server) starts nothing',
      cls: 'names',
      setup,
      commands: [['OBJECT', 'start', ...R], STATUS_V],
    },
  )
  return out
}

const STATE_COMMANDS = [
  'status',
  'start',
  'no-wait',
  'stop',
  'kill',
  'shutdown',
  'restart',
  'reload',
  'force-reload',
  'reload-seamless',
  'once',
]
const STATES: PidState[] = ['none', 'running', 'stale', 'foreign', 'stranger', 'zombie', 'invalid']
// Commands that send a signal other than 0 before anything else.
export const SIGNALLING = new Set([
  'stop',
  'kill',
  'shutdown',
  'restart',
  'reload',
  'force-reload',
  'reload-seamless',
])

function stateScenario(
  server: string,
  state: PidState,
  command: string,
  verbose: boolean,
): Scenario {
  const short = server === 'object-server' ? 'object' : server
  const args = [short, command, ...(verbose ? ['-v'] : []), ...R]
  const build = (st: PidState, cmd: string): Scenario => ({
    id: `state ${st}: ${short} ${cmd}${verbose ? ' -v' : ''}`,
    cls: 'states',
    setup: async (sb) => {
      sb.install(server)
      const conf = sb.conf('object-server.conf', { once_seconds: 0 })
      await sb.plant(st, `${server}.pid`, server, conf)
    },
    commands: [
      [short, cmd, ...(verbose ? ['-v'] : []), ...R],
      [short, 'status', '-v', ...R],
    ],
    tags: [`state:${st}`, `cmd:${cmd}`, `server:${server}`, ...(verbose ? ['verbose'] : [])],
    // `once` of a main server never returns upstream: bounded here.
    timeoutMs: cmd === 'once' && server === 'object-server' ? 6_000 : 30_000,
  })
  const s = build(state, command)
  s.commands[0] = args
  // What ours must print where it differs on purpose (deliberate.ts): a pid
  // it does not take for the server is as good as no pid file; a main
  // server's once is a start that returns.
  const refState =
    state === 'stranger' || (state === 'foreign' && SIGNALLING.has(command)) ? 'none' : state
  const refCommand = command === 'once' && server === 'object-server' ? 'start' : command
  if (refState === state && refCommand === command) return s
  return { ...s, variants: { reference: build(refState, refCommand) } }
}

/** Each command in each pid-file state, for a main server and a background daemon; -v where it changes words. */
export function stateScenarios(): Scenario[] {
  const out: Scenario[] = []
  for (const state of STATES) {
    for (const command of STATE_COMMANDS)
      out.push(stateScenario('object-server', state, command, false))
    for (const command of ['status', 'stop', 'start', 'reload']) {
      out.push(stateScenario('object-server', state, command, true))
    }
  }
  for (const state of ['none', 'running', 'stale'] as const) {
    for (const command of ['once', 'shutdown', 'reload-seamless', 'start', 'stop', 'status']) {
      out.push(stateScenario('object-replicator', state, command, false))
    }
  }
  return out
}

/** `-c N` and named configs over several configs of one server. */
export function configNumberScenarios(): Scenario[] {
  const setup = async (sb: Sandbox) => {
    sb.install('object-server')
    for (const n of [1, 2, 3, 10]) sb.conf(`object-server/${n}.conf`)
    await sb.plant(
      'running',
      'object-server/2.pid',
      'object-server',
      `${sb.etc}/object-server/2.conf`,
    )
  }
  const lists = [
    ['object', 'status', '-c', '2'],
    ['object', 'status', '-c', '1'],
    ['object', 'status', '-c', '4'],
    ['object', 'status', '-c', '9'],
    ['object', 'status', '-c', '0'],
    ['object', 'status', '-c', '-1'],
    ['object', 'status', '-c', '0x2'],
    ['object', 'status', '-c', '03'],
    ['object', 'status', '--config-num=2', '-v'],
    ['object', 'start', '-c', '2'],
    ['object', 'start', '-c', '1'],
    ['object', 'start', '-c', '9'],
    ['object', 'start', '-c', '9', '-v'],
    ['object', 'start'],
    ['object', 'stop', '-c', '2'],
    ['object', 'stop', '-c', '3'],
    ['object', 'restart', '-c', '2'],
    ['object.2', 'status'],
    ['object.10', 'status'],
    ['object.2', 'stop'],
    ['object.3', 'start'],
    ['object.4', 'start'],
    ['object.4', 'start', '-v'],
    ['object', 'status'],
    ['object', 'stop'],
  ]
  return lists.map((args) => ({
    id: `-c: ${args.join(' ')}`,
    cls: 'config numbers',
    setup,
    commands: [
      [...args, ...R],
      ['object', 'status', '-v', ...R],
    ],
  }))
}

/** A scenario on one fixture object server with `extra` conf lines, ending with `status -v`. */
function objectScenario(
  cls: string,
  id: string,
  extra: Record<string, string | number>,
  command: string[],
  tags: string[] = [],
): Scenario {
  return {
    id,
    cls,
    setup: (sb) => {
      sb.install('object-server')
      sb.conf('object-server.conf', extra)
    },
    commands: [[...command, ...R], STATUS_V],
    tags,
  }
}

/** Starting: what servers print, failures, strictness, several servers, the start/main swap, stopping that takes long. */
export function startScenarios(): Scenario[] {
  const main = ['proxy-server', 'account-server', 'container-server', 'object-server']
  return [
    objectScenario(
      'start',
      'start: a server that fails while starting',
      { fail_at_start: 'ERROR: bind_port is required', exit_code: 3 },
      ['object', 'start'],
      ['child-exits'],
    ),
    objectScenario(
      'start',
      'start: a server that prints a warning and lives',
      { say: 'WARNING: only a warning' },
      ['object', 'start'],
    ),
    {
      id: 'start: strict by default when every server is named',
      cls: 'start',
      setup: (sb) => {
        sb.install('object-server', 'proxy-server')
        sb.conf('object-server.conf')
      },
      commands: [['object', 'proxy', 'start', ...R]],
      unordered: true,
    },
    {
      id: 'start: --non-strict after --strict',
      cls: 'start',
      setup: (sb) => {
        sb.install('object-server', 'proxy-server')
        sb.conf('object-server.conf')
      },
      commands: [['object', 'proxy', 'start', '--strict', '--non-strict', ...R]],
      unordered: true,
    },
    {
      id: 'start: main is not strict, --strict makes it so',
      cls: 'start',
      setup: (sb) => {
        sb.install(...main)
        sb.conf('object-server.conf')
      },
      commands: [
        ['main', 'start', ...R],
        ['main', 'stop', ...R],
        ['main', 'start', '--strict', ...R],
      ],
      unordered: true,
    },
    {
      id: 'start: all four main servers, status, start again, stop',
      cls: 'start',
      setup: (sb) => {
        sb.install(...main)
        for (const s of main) sb.conf(`${s}.conf`)
      },
      commands: [
        ['main', 'start', ...R],
        ['main', 'status', ...R],
        ['start', 'main', ...R],
        ['main', 'stop', ...R],
        ['main', 'stop', ...R],
      ],
      unordered: true,
    },
    {
      id: 'start: no config at all',
      cls: 'start',
      setup: (sb) => {
        sb.install('object-server')
      },
      commands: [
        ['object', 'start', ...R],
        ['object', 'start', '-v', ...R],
        ['object', 'stop', ...R],
      ],
    },
    {
      id: 'start: no-wait, then the server is found running',
      cls: 'start',
      setup: (sb) => {
        sb.install('object-server')
        sb.conf('object-server.conf', { say: 'never read' })
      },
      commands: [
        ['object', 'no-wait', ...R],
        ['object', '-w', 'start', ...R],
        ['object', 'stop', ...R],
      ],
    },
    {
      id: 'stop: a server that ignores SIGTERM, -k 1; --kill-after-timeout kills its group',
      cls: 'start',
      setup: async (sb) => {
        sb.install('object-server')
        const conf = sb.conf('object-server.conf', { ignore_sigterm: 'true', children: 2 })
        await sb.plant('running', 'object-server.pid', 'object-server', conf)
      },
      commands: [
        ['object', 'stop', '-k', '1', ...R],
        ['object', 'kill', '-k', '1', ...R],
        ['object', 'stop', '-k', '1', '--kill-after-timeout', ...R],
        STATUS_V,
      ],
    },
    {
      id: 'stop -g: SIGHUP to a main server; shutdown of a daemon is SIGTERM',
      cls: 'start',
      setup: async (sb) => {
        sb.install('object-server', 'object-replicator')
        const conf = sb.conf('object-server.conf')
        await sb.plant('running', 'object-server.pid', 'object-server', conf)
        await sb.plant('running', 'object-replicator.pid', 'object-replicator', conf)
      },
      commands: [
        ['object', 'stop', '-g', ...R],
        ['object-replicator', 'shutdown', ...R],
      ],
    },
  ]
}

/** The foreground: no-daemon, -n, Ctrl-C, a foreground once. */
export function foregroundScenarios(): Scenario[] {
  return [
    objectScenario(
      'no-daemon',
      'no-daemon: the server runs in the foreground until it exits',
      { run_seconds: 1 },
      ['object', 'no-daemon'],
      ['child-exits'],
    ),
    objectScenario(
      'no-daemon',
      'no-daemon: start -n, a server that fails',
      { fail_at_start: 'ERROR: no devices' },
      ['object', 'start', '-n'],
      ['child-exits'],
    ),
    {
      id: 'no-daemon: Ctrl-C stops the servers',
      cls: 'no-daemon',
      setup: (sb) => {
        sb.install('object-server')
        sb.conf('object-server.conf')
      },
      commands: [['object', 'no-daemon', ...R], STATUS_V],
      interrupt: { command: 0, afterEvent: 'started' },
    },
    {
      id: 'no-daemon: a daemon once in the foreground',
      cls: 'no-daemon',
      setup: (sb) => {
        sb.install('object-replicator')
        sb.conf('object-server.conf', { once_seconds: 0 })
      },
      commands: [
        ['object-replicator', 'once', '-n', ...R],
        ['object-replicator', 'status', '-v', ...R],
      ],
      tags: ['child-exits'],
    },
  ]
}

function objectConf(sb: Sandbox, port: number): string {
  mkdirSync(`${sb.root}/srv/sda`, { recursive: true })
  return sb.file('etc/object-server.conf', pythonObjectServerConf(port, `${sb.root}/srv`, sb.etc))
}

/** Debian's Python servers themselves, driven by both swift-inits. */
export function pythonServerScenarios(): Scenario[] {
  return [
    {
      id: "Debian's swift-object-server: start, status, reload, shutdown",
      cls: 'python servers',
      setup: async (sb) => {
        sb.installDebian('object-server')
        objectConf(sb, await freePort())
      },
      commands: [
        ['object', 'start', ...R],
        ['object', 'status', ...R],
        ['object', 'reload', ...R],
        ['object', 'status', ...R],
        ['object', 'shutdown', ...R],
        STATUS_V,
      ],
      timeoutMs: 60_000,
    },
    {
      id: "Debian's swift-proxy-server without rings: the start fails",
      cls: 'python servers',
      setup: (sb) => {
        sb.installDebian('proxy-server')
        sb.file(
          'etc/proxy-server.conf',
          `[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = 1\nswift_dir = ${sb.etc}\n\n[pipeline:main]\npipeline = proxy-server\n\n[app:proxy-server]\nuse = egg:swift#proxy\n`,
        )
      },
      commands: [
        ['proxy', 'start', ...R],
        ['proxy', 'status', '-v', ...R],
      ],
      tags: ['child-exits'],
      timeoutMs: 60_000,
    },
  ]
}

/** Where we differ on purpose (see deliberate.ts): each must still differ, exactly as documented. */
export function deliberateScenarios(): Scenario[] {
  return [
    {
      id: 'deliberate: object.2 is exactly object-server/2.conf, not 12.conf',
      cls: 'deliberate',
      setup: async (sb) => {
        sb.install('object-server')
        for (const n of [2, 12]) {
          const conf = sb.conf(`object-server/${n}.conf`)
          await sb.plant('running', `object-server/${n}.pid`, 'object-server', conf)
        }
      },
      commands: [
        ['object.2', 'status', ...R],
        ['object.2', 'stop', ...R],
        ['object', 'status', ...R],
      ],
      tags: ['named-config'],
      expected: [
        '$ swift-init object.2 status -r $RUN  → exit 0',
        'object-server running (PID - ROOT/etc/object-server/2.conf)',
        '$ swift-init object.2 stop -r $RUN  → exit 0',
        'Signal object-server  pid: PID  signal: 15',
        'object-server (PID) appears to have stopped',
        '$ swift-init object status -r $RUN  → exit 0',
        'object-server running (PID - ROOT/etc/object-server/12.conf)',
      ].join('\n'),
    },
    {
      id: 'deliberate: a group-writable run dir is refused before anything starts',
      cls: 'deliberate',
      setup: (sb) => {
        sb.install('object-server')
        sb.conf('object-server.conf')
        mkdirSync(sb.run)
        chmodSync(sb.run, 0o775)
      },
      commands: [['object', 'start', ...R]],
      tags: ['unsafe-run-dir'],
      expected: [
        '$ swift-init object start -r $RUN  → exit 1',
        '--- stderr',
        'swift-init: refusing run dir ROOT/run: writable by its group (mode 775)',
      ].join('\n'),
    },
    {
      id: 'deliberate: --version',
      cls: 'deliberate',
      commands: [['--version']],
      tags: ['version'],
    },
  ]
}
