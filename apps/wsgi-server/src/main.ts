import { readdir } from 'node:fs/promises'
import { defineCommand, runMain, UsageError } from '@forklift/cli'
import { type DaemonPassContext, runDaemon, runWsgi } from '@forklift/runner'

/** One binary this app ships: a WSGI-style server or a daemon, and its conf section. */
export interface ServerBinary {
  name: string
  kind: 'wsgi' | 'daemon'
  /** The app (or daemon) section; the generic server takes it from `--app`. */
  section?: string
  summary: string
}

/** Every binary in bin/, by name. Swift's names let swift-init (ours or Python's) drive them. */
export const BINARIES: Record<string, ServerBinary> = {
  'forklift-wsgi-server': {
    name: 'forklift-wsgi-server',
    kind: 'wsgi',
    summary: 'Run the paste pipeline of CONF on its socket with N workers (Swift run_wsgi).',
  },
  'swift-proxy-server': {
    name: 'swift-proxy-server',
    kind: 'wsgi',
    section: 'proxy-server',
    summary: 'Run the proxy server of CONF ([app:proxy-server]).',
  },
  'swift-account-server': {
    name: 'swift-account-server',
    kind: 'wsgi',
    section: 'account-server',
    summary: 'Run the account server of CONF ([app:account-server]).',
  },
  'swift-container-server': {
    name: 'swift-container-server',
    kind: 'wsgi',
    section: 'container-server',
    summary: 'Run the container server of CONF ([app:container-server]).',
  },
  'swift-object-server': {
    name: 'swift-object-server',
    kind: 'wsgi',
    section: 'object-server',
    summary: 'Run the object server of CONF ([app:object-server]).',
  },
  'swift-object-replicator': {
    name: 'swift-object-replicator',
    kind: 'daemon',
    section: 'object-replicator',
    summary:
      'A sample daemon (Swift run_daemon): one pass over the `devices` dir every `interval` seconds, or once.',
  },
}

const WORDS = new Set(['once', 'verbose'])

/** The sample daemon's pass: lists the devices it would replicate and logs how long it took. */
async function samplePass({ conf, logger, pass, once }: DaemonPassContext): Promise<void> {
  const started = Date.now()
  const devicesDir = conf.devices?.trim()
  let devices: string[] = []
  if (devicesDir) devices = await readdir(devicesDir).catch(() => [])
  logger.info(
    { pass, once, devices: devices.length, ms: Date.now() - started },
    `Object replication pass ${pass} complete (${devices.length} devices)`,
  )
}

/** The command of one binary: `<name> CONF [once] [verbose] [-v] [-o] [-t]`. */
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
        return runDaemon(conf, {
          section: binary.section ?? 'daemon',
          once,
          verbose,
          testConfig,
          run: samplePass,
          ...(interval !== undefined ? { interval } : {}),
        })
      }
      const section = binary.section ?? (typeof opts.app === 'string' ? opts.app : undefined)
      return runWsgi(conf, { verbose, once, testConfig, ...(section ? { section } : {}) })
    },
  })
}

/** Runs the binary `name` (a key of BINARIES) and exits with its status. */
export function main(
  name: string,
  argv: readonly string[] = process.argv.slice(2),
): Promise<never> {
  const binary = BINARIES[name]
  if (!binary) throw new TypeError(`unknown binary ${name}`)
  return runMain(serverCommand(binary), argv)
}
