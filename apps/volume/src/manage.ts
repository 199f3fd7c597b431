import { defineCommand, runMain, UsageError } from '@forklift/cli'
import {
  effectiveServiceDownTime,
  formatServiceTable,
  openRegistry,
  serviceListJson,
  VOLUME_BINARY,
} from '@forklift/registry'
import { loadVolumeConfig } from './volume-config.js'

const COMMANDS = `  service-list [--json]          every service: binary, host, cluster, status, state, last heartbeat
  service-disable HOST BINARY    mark a service disabled (--reason TEXT)
  service-enable HOST BINARY     undo service-disable`

/** `forklift-volume-manage`: cinder-manage's service commands over the registry. */
export const manageCommand = defineCommand({
  name: 'forklift-volume-manage',
  summary: 'Lists, disables and enables services in the forklift service registry.',
  usage:
    'forklift-volume-manage (--config-file FILE [--config-dir DIR] | --connection URL) <command> [args]',
  description:
    'The registry is [database] connection of the config file (default: a SQLite file under state_path), ' +
    'or --connection. A service is up when its last heartbeat is within service_down_time.',
  sections: [{ title: 'Commands', body: COMMANDS }],
  allowPositionals: true,
  options: {
    'config-file': {
      type: 'string',
      valueName: 'FILE',
      description: 'the volume configuration file',
    },
    'config-dir': {
      type: 'string',
      valueName: 'DIR',
      description: 'a directory of *.conf files read after it',
    },
    connection: {
      type: 'string',
      valueName: 'URL',
      description: 'registry URL (sqlite:////path or postgresql://…), instead of the config',
    },
    'service-down-time': {
      type: 'string',
      valueName: 'SECONDS',
      description: 'override service_down_time for the up/down column',
    },
    json: { type: 'boolean', description: 'service-list: print JSON' },
    reason: { type: 'string', valueName: 'TEXT', description: 'service-disable: why' },
  },
  examples: [
    'forklift-volume-manage --config-file /etc/forklift/volume.conf service-list',
    'forklift-volume-manage --connection postgresql://forklift:pw@db/forklift service-list --json',
    'forklift-volume-manage --config-file volume.conf service-disable node1@lvm forklift-volume',
  ],
  async run({ values, positionals, stdout }) {
    const [command, ...args] = positionals
    if (!command)
      throw new UsageError('missing command (service-list, service-disable, service-enable)')
    let connection = values.connection
    let downTime = 60
    if (values['config-file']) {
      const conf = loadVolumeConfig(values['config-file'], values['config-dir'])
      connection ??= conf.connection
      downTime = effectiveServiceDownTime(conf.reportInterval, conf.serviceDownTime)
    } else if (!connection) {
      throw new UsageError('give --config-file or --connection')
    }
    if (values['service-down-time'] !== undefined) {
      downTime = Number(values['service-down-time'])
      if (!(downTime > 0)) {
        throw new UsageError(
          `--service-down-time must be a positive number, not '${values['service-down-time']}'`,
        )
      }
    }
    const registry = openRegistry(connection, { mustExist: true })
    try {
      switch (command) {
        case 'service-list': {
          expectArgs(command, args, 0)
          const services = await registry.listServices({ serviceDownTime: downTime })
          stdout.write(
            values.json
              ? `${JSON.stringify(serviceListJson(services), null, 2)}\n`
              : formatServiceTable(services),
          )
          return 0
        }
        case 'service-disable':
        case 'service-enable': {
          expectArgs(command, args, 2)
          const [host, binary] = args as [string, string]
          const disable = command === 'service-disable'
          await registry.setDisabled(host, binary, disable, values.reason)
          stdout.write(`Service ${binary} on host ${host} ${disable ? 'disabled' : 'enabled'}.\n`)
          return 0
        }
        default:
          throw new UsageError(`unknown command '${command}'`)
      }
    } finally {
      await registry.close()
    }
  },
})

function expectArgs(command: string, args: string[], n: number): void {
  if (args.length !== n) {
    throw new UsageError(
      n === 0
        ? `${command} takes no arguments`
        : `${command} needs HOST and BINARY (e.g. node1@lvm ${VOLUME_BINARY})`,
    )
  }
}

/** The binary's entry point. */
export function manageMain(argv: string[] = process.argv.slice(2)): Promise<never> {
  return runMain(manageCommand, argv)
}
