import { defineCommand, packageVersion, runMain, UsageError } from '@forklift/cli'
import { reloadPid } from '@forklift/manager'

/**
 * The `swift-reload` command: Swift's swift-reload (swift/cli/reload.py).
 * Checks that PID is a server's manager process and that its config loads,
 * sends SIGUSR1 and waits for the server to say the reload is done or refused.
 */
export const swiftReload = defineCommand({
  name: 'swift-reload',
  summary:
    'Safely reload a WSGI server: check it is a server manager and its config is valid, send the seamless reload signal, and wait for the reload to complete.',
  usage: 'swift-reload [-h] [-t TIMEOUT | -w] [-v] pid',
  version: () => packageVersion(import.meta.url),
  allowPositionals: true,
  options: {
    timeout: {
      type: 'string',
      short: 't',
      valueName: 'TIMEOUT',
      description: 'max time to wait for reload to complete (seconds, default 300)',
    },
    'no-wait': {
      type: 'boolean',
      short: 'w',
      description: 'skip waiting for reload to complete',
    },
    verbose: {
      type: 'boolean',
      short: 'v',
      description: 'display more information as the process reloads',
    },
  },
  sections: [
    {
      title: 'Exit status',
      body: '0 reloaded; 1 the config check failed, the server refused the reload or exited; 2 PID is not a server manager; 238 timed out.',
    },
  ],
  examples: ['swift-reload 1234', 'swift-reload -v -t 60 "$(cat /var/run/swift/proxy-server.pid)"'],
  async run({ values, positionals, stdout, stderr, env }) {
    if (positionals.length !== 1) throw new UsageError('expected one argument: pid')
    const pid = Number(positionals[0])
    if (!/^\d+$/.test(positionals[0]!) || !Number.isSafeInteger(pid) || pid <= 0) {
      throw new UsageError(`argument pid: invalid int value: '${positionals[0]}'`)
    }
    let timeoutSeconds = 300
    if (values.timeout !== undefined) {
      if (values['no-wait']) {
        throw new UsageError('argument -w/--no-wait: not allowed with argument -t/--timeout')
      }
      timeoutSeconds = Number(values.timeout)
      if (
        values.timeout.trim() === '' ||
        !(timeoutSeconds > 0) ||
        !Number.isFinite(timeoutSeconds)
      ) {
        throw new UsageError(`argument -t/--timeout: invalid float value: '${values.timeout}'`)
      }
    }
    return reloadPid(pid, {
      timeoutSeconds,
      wait: !values['no-wait'],
      verbose: values.verbose ?? false,
      stdout,
      stderr,
      env,
    })
  },
})

/** Runs swift-reload on `process.argv` and exits with its status. */
export function reloadMain(argv: readonly string[] = process.argv.slice(2)): Promise<never> {
  return runMain(swiftReload, argv)
}
