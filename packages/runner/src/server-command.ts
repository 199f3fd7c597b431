/**
 * The command line of a Swift-style server binary, as Swift's parse_options
 * reads it: `<name> CONF [once] [verbose] [-v] [-o] [-t]` (the words are what
 * swift-init passes), `--app SECTION` on a generic server, `--interval` on a
 * daemon; `--help`; exit status 2 for bad arguments.
 */
import { defineCommand, UsageError } from '@forklift/cli'
import { type DaemonPassContext, runDaemon } from './run-daemon.js'
import { runWsgi } from './run-wsgi.js'

/** One server binary: a WSGI-style server or a daemon, and its conf section. */
export interface ServerBinary {
  name: string
  kind: 'wsgi' | 'daemon'
  /** The app (or daemon) section; a generic server takes it from `--app`. */
  section?: string
  summary: string
  /** A daemon's pass (kind `daemon`): what runDaemon runs once or every `interval`. */
  pass?: (ctx: DaemonPassContext) => void | Promise<void>
}

const WORDS = new Set(['once', 'verbose'])

/** The command of one binary: `<name> CONF [once] [verbose] [-v] [-o] [-t]`; its run resolves the exit status. */
export function serverCommand(binary: ServerBinary) {
  const generic = binary.section === undefined
  return defineCommand({
    name: binary.name,
    summary: binary.summary,
    usage: `${binary.name} CONF [once] [verbose] [options]`,
    description: [
      'CONF is a config file or a .conf.d directory. The words `once` and `verbose`',
      'after it are what swift-init passes (same as -o and -v).',
      binary.kind === 'wsgi'
        ? 'Signals: SIGTERM stops now; SIGHUP drains in-flight requests, then exits;\nSIGUSR1 reloads seamlessly (new config and code, new workers first).\nReadiness: stdout/stderr are closed and READY=1 is sent on NOTIFY_SOCKET once\nevery worker listens.'
        : 'Signals: SIGTERM stops now; SIGHUP exits after the current pass.',
    ].join('\n'),
    options: {
      verbose: { type: 'boolean', short: 'v', description: 'log to the console at debug level' },
      once: { type: 'boolean', short: 'o', description: 'run one pass and exit (daemons)' },
      'test-config': {
        type: 'boolean',
        short: 't',
        description: 'check the config (and that the app loads) and exit 0 or 1',
      },
      ...(generic
        ? {
            app: {
              type: 'string' as const,
              valueName: 'SECTION',
              description:
                'the app section whose settings apply ([app:SECTION]); default the app [pipeline:main] ends in',
            },
          }
        : {}),
      ...(binary.kind === 'daemon'
        ? {
            interval: {
              type: 'string' as const,
              valueName: 'SECONDS',
              description: 'seconds between passes (default: the conf `interval`, else 30)',
            },
          }
        : {}),
    },
    allowPositionals: true,
    examples: [
      `${binary.name} /etc/swift/${binary.section ?? 'object-server'}.conf`,
      `${binary.name} /etc/swift/${binary.section ?? 'object-server'}.conf --test-config`,
    ],
    async run({ values, positionals }) {
      const [conf, ...words] = positionals
      if (conf === undefined) throw new UsageError('missing CONF (a config file or .conf.d dir)')
      for (const w of words) {
        if (!WORDS.has(w))
          throw new UsageError(`unexpected argument '${w}' (expected once or verbose)`)
      }
      const verbose = values.verbose === true || words.includes('verbose')
      const once = values.once === true || words.includes('once')
      const testConfig = values['test-config'] === true
      const opts = values as Record<string, unknown>
      if (binary.kind === 'daemon') {
        let interval: number | undefined
        if (typeof opts.interval === 'string') {
          interval = Number(opts.interval)
          if (!(interval > 0))
            throw new UsageError(`--interval must be a positive number, got '${opts.interval}'`)
        }
        const { pass } = binary
        if (!pass) throw new TypeError(`daemon binary ${binary.name} has no pass`)
        return runDaemon(conf, {
          section: binary.section ?? 'daemon',
          once,
          verbose,
          testConfig,
          run: pass,
          ...(interval !== undefined ? { interval } : {}),
        })
      }
      const section = binary.section ?? (typeof opts.app === 'string' ? opts.app : undefined)
      return runWsgi(conf, { verbose, once, testConfig, ...(section ? { section } : {}) })
    },
  })
}
