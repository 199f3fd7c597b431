import { delimiter } from 'node:path'
import {
  defineCommand,
  ExitError,
  formatHelp,
  packageVersion,
  runMain,
  UsageError,
} from '@forklift/cli'
import {
  COMMANDS,
  type CommandOptions,
  commandName,
  KILL_WAIT_SECONDS,
  Manager,
  SWIFT_FAMILY,
} from '@forklift/manager'
import { PathsError } from '@forklift/paths'

// swift-init's usage, word for word: optparse prints it on every usage error.
const USAGE = `swift-init <server>[.<config>] [<server>[.<config>] ...] <command> [options]

where:
    <server>  is the name of a swift service e.g. proxy-server.
              The '-server' part of the name may be omitted.
              'all', 'main' and 'rest' are reserved words that represent a
              group of services.
              all: Expands to all swift daemons.
              main: Expands to main swift daemons.
                    (proxy, container, account, object)
              rest: Expands to all remaining background daemons (beyond
                    "main").
                    (updater, replicator, auditor, etc)
    <config>  is an explicit configuration filename without the
              .conf extension. If <config> is specified then <server> should
              refer to a directory containing the configuration file, e.g.:

                  swift-init object.1 start

              will start an object-server using the configuration file
              /etc/swift/object-server/1.conf
    <command> is a command from the list below.

Commands:
${COMMANDS.map((c) => `${c.name.padStart(16)}: ${c.help}`).join('\n')}`

/**
 * The `swift-init` command: swift-init 2.30.1's options, syntax and words
 * (Python optparse), plus --conf-dir, --bin-dir, status --json and --version.
 */
export const swiftInit = defineCommand({
  name: 'swift-init',
  summary: 'Start, stop, reload and report swift servers from their conf and pid files.',
  usage: USAGE,
  version: () => packageVersion(import.meta.url),
  syntax: 'optparse',
  allowPositionals: true,
  options: {
    verbose: { type: 'boolean', short: 'v', description: 'display verbose output' },
    'no-wait': {
      type: 'boolean',
      short: 'w',
      description: "won't wait for server to start before returning",
    },
    once: { type: 'boolean', short: 'o', description: 'only run one pass of daemon' },
    'no-daemon': { type: 'boolean', short: 'n', description: 'start server interactively' },
    graceful: {
      type: 'boolean',
      short: 'g',
      description: 'send SIGHUP to supporting servers',
    },
    'config-num': {
      type: 'integer',
      short: 'c',
      valueName: 'N',
      default: 0,
      description: 'send command to the Nth server only',
    },
    'kill-wait': {
      type: 'integer',
      short: 'k',
      valueName: 'N',
      default: KILL_WAIT_SECONDS,
      description: `wait N seconds for processes to die (default ${KILL_WAIT_SECONDS})`,
    },
    'run-dir': {
      type: 'string',
      short: 'r',
      description: `alternative directory to store running pid files default: ${SWIFT_FAMILY.runDir}`,
    },
    strict: {
      type: 'boolean',
      description:
        'Return non-zero status code if some config is missing. Default mode if all servers are explicitly named.',
    },
    'non-strict': {
      type: 'boolean',
      negates: 'strict',
      description:
        'Return zero status code even if some config is missing. Default mode if any server is a glob or one of aliases `all`, `main` or `rest`.',
    },
    'kill-after-timeout': {
      type: 'boolean',
      description: 'Kill daemon and all children after kill-wait period.',
    },
    'conf-dir': {
      type: 'string',
      valueName: 'DIR',
      extra: true,
      description: `directory of the config files (env SWIFT_DIR; default ${SWIFT_FAMILY.confDir})`,
    },
    'bin-dir': {
      type: 'string',
      valueName: 'DIR',
      multiple: true,
      extra: true,
      description:
        'look for server binaries (swift-<server>) here before PATH; repeatable (env SWIFT_INIT_BIN_DIR, colon-separated)',
    },
    json: {
      type: 'boolean',
      extra: true,
      description: 'with status: print one JSON object per server instance, changing nothing',
    },
  },
  examples: [
    'swift-init main start',
    'swift-init object.2 status',
    "swift-init 'object-*' stop -k 30 --kill-after-timeout",
    'swift-init proxy status --json',
  ],
  async run({ values, positionals, stdout, env }) {
    const print = (line: string) => stdout.write(`${line}\n`)
    // On these errors swift-init prints its own help: without our options.
    const help = () => stdout.write(formatHelp(swiftInit, { extras: false, env }))
    if (positionals.length < 2) {
      help()
      print('ERROR: specify server(s) and command')
      return 1
    }
    let command = positionals[positionals.length - 1]!
    const servers = positionals.slice(0, -1)
    // swift-init's "silly swap": `start main` works as `main start`.
    const names = COMMANDS.map((c) => c.name as string)
    if (!names.includes(command) && names.includes(servers[0]!)) {
      servers.push(command)
      command = servers.shift()!
    }
    const name = commandName(command)
    if (name === undefined) {
      help()
      print(`ERROR: unknown command, ${command}`)
      return 1
    }
    if (values.json && name !== 'status') throw new UsageError('--json applies to status only')

    const binDirs =
      values['bin-dir'] ?? (env.SWIFT_INIT_BIN_DIR ? env.SWIFT_INIT_BIN_DIR.split(delimiter) : [])
    const manager = new Manager(servers, {
      confDir: values['conf-dir'] ?? (env.SWIFT_DIR || undefined),
      runDir: values['run-dir'],
      binDirs,
      env,
      stdout,
    })
    const opts: CommandOptions = {
      verbose: values.verbose ?? false,
      wait: !values['no-wait'],
      once: values.once ?? false,
      daemon: !values['no-daemon'],
      graceful: values.graceful ?? false,
      number: values['config-num'],
      killWait: values['kill-wait'],
      strict: values.strict,
      killAfterTimeout: values['kill-after-timeout'] ?? false,
    }

    if (values.json) {
      const { status, instances } = manager.statusReport(opts)
      stdout.write(`${JSON.stringify(instances, null, 2)}\n`)
      return status
    }

    // In the foreground, Ctrl-C stops the servers (swift's "user quit").
    const interactive = name === 'no-daemon' || opts.daemon === false
    const ac = new AbortController()
    const onInt = () => ac.abort()
    if (interactive) process.on('SIGINT', onInt)
    try {
      return await manager.run(name, { ...opts, signal: ac.signal })
    } catch (err) {
      // swift-init exits with this very line when it cannot create the run dir.
      if (err instanceof PathsError && err.code === 'E_RUN_DIR_CREATE') {
        throw new ExitError(1, err.message)
      }
      throw err
    } finally {
      if (interactive) process.off('SIGINT', onInt)
    }
  },
})

/** Runs swift-init on `process.argv` and exits with its status. */
export function main(argv: readonly string[] = process.argv.slice(2)): Promise<never> {
  return runMain(swiftInit, argv)
}
export { reloadMain, swiftReload } from './reload.js'
