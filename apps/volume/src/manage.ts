import { type CommandIO, defineCommand, packageVersion, runMain, UsageError } from '@forklift/cli'
import {
  clusterListJson,
  effectiveServiceDownTime,
  formatClusterTable,
  formatServiceTable,
  openRegistry,
  type Registry,
  RegistryError,
  serviceListJson,
} from '@forklift/registry'
import { loadVolumeConfig, VOLUME_BINARY } from '@forklift/volume'

const COMMANDS = `  service list [--json]                  every service: binary, host, zone, cluster, status, state, last heartbeat
  service remove BINARY HOST             remove a service's record (soft delete, as cinder-manage)
  service disable HOST BINARY            mark a service disabled (--reason TEXT)
  service enable HOST BINARY             undo service disable
  cluster list [--json]                  every cluster: status, state, heartbeat, hosts, down hosts
  cluster remove [--recursive] BINARY CLUSTER
                                         remove a cluster that has no services (--recursive: and its services)
  service-list, service-disable, service-enable are the same as the two-word forms.`

/** What a subcommand gets: its arguments, the open registry and where to write. */
interface Context {
  args: string[]
  registry: Registry
  downTime: number
  json: boolean
  reason: string | undefined
  recursive: boolean
  stdout: CommandIO['stdout']
  stderr: CommandIO['stderr']
}

type Subcommand = (c: Context) => Promise<number>

/** cinder-manage's service and cluster commands, by `<category> <action>`. */
const SUBCOMMANDS: Record<string, Subcommand> = {
  'service list': async (c) => {
    expectArgs('service list', c.args, [])
    const services = await c.registry.listServices({ serviceDownTime: c.downTime })
    return print(c, c.json ? serviceListJson(services) : formatServiceTable(services))
  },
  'service remove': async (c) => {
    const [binary, host] = expectArgs('service remove', c.args, ['BINARY', 'HOST'])
    if (!(await c.registry.removeService(host, binary))) {
      c.stderr.write(`Host not found. Failed to remove ${binary} on ${host}.\n`)
      return 2
    }
    c.stdout.write(`Service ${binary} on host ${host} removed.\n`)
    return 0
  },
  'service disable': (c) => setDisabled(c, true),
  'service enable': (c) => setDisabled(c, false),
  'cluster list': async (c) => {
    expectArgs('cluster list', c.args, [])
    const clusters = await c.registry.listClusters({ serviceDownTime: c.downTime })
    return print(c, c.json ? clusterListJson(clusters) : formatClusterTable(clusters))
  },
  'cluster remove': async (c) => {
    const [binary, name] = expectArgs('cluster remove', c.args, ['BINARY', 'CLUSTER'])
    try {
      const { removedServices } = await c.registry.removeCluster(binary, name, {
        recursive: c.recursive,
      })
      c.stdout.write(
        `Cluster ${name} successfully removed.${c.recursive ? ` And ${removedServices} services from the cluster were also removed.` : ''}\n`,
      )
      return 0
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err
      if (err.code === 'E_REGISTRY_NOT_FOUND') {
        c.stderr.write(`Couldn't remove cluster ${name} because it doesn't exist.\n`)
        return 2
      }
      if (err.code === 'E_REGISTRY_CLUSTER_HAS_HOSTS') {
        c.stderr.write(`Couldn't remove cluster ${name} because it still has hosts.\n`)
        return 2
      }
      throw err
    }
  },
}

/** A table as is, JSON pretty-printed; exit status 0. */
function print(c: Context, out: string | object[]): number {
  c.stdout.write(typeof out === 'string' ? out : `${JSON.stringify(out, null, 2)}\n`)
  return 0
}

async function setDisabled(c: Context, disable: boolean): Promise<number> {
  const [host, binary] = expectArgs(`service ${disable ? 'disable' : 'enable'}`, c.args, [
    'HOST',
    'BINARY',
  ])
  await c.registry.setDisabled(host, binary, disable, c.reason)
  c.stdout.write(`Service ${binary} on host ${host} ${disable ? 'disabled' : 'enabled'}.\n`)
  return 0
}

/** `forklift-volume-manage`: cinder-manage's service and cluster commands over the registry. */
export const manageCommand = defineCommand({
  name: 'forklift-volume-manage',
  version: () => packageVersion(import.meta.url),
  summary: 'Lists and manages the services and clusters of the forklift service registry.',
  usage:
    'forklift-volume-manage (--config-file FILE [--config-dir DIR] | --connection URL) <category> <action> [args]',
  description:
    'The registry is [database] connection of the config file (default: a SQLite file under state_path), ' +
    'or --connection. A service is up when its last heartbeat is within service_down_time and newer ' +
    'than the last crash its launcher saw; a cluster is up while one of its services is.',
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
      description:
        'registry URL (sqlite:////path, postgresql://…, mysql://…), instead of the config',
    },
    'service-down-time': {
      type: 'string',
      valueName: 'SECONDS',
      description: 'override service_down_time for the up/down column',
    },
    json: { type: 'boolean', description: 'list: print JSON (snake_case keys)' },
    reason: { type: 'string', valueName: 'TEXT', description: 'service disable: why' },
    recursive: { type: 'boolean', description: 'cluster remove: remove its services too' },
  },
  examples: [
    'forklift-volume-manage --config-file /etc/forklift/volume.conf service list',
    'forklift-volume-manage --connection mysql://forklift:pw@db/forklift service list --json',
    'forklift-volume-manage --config-file volume.conf service remove forklift-volume node1@lvm',
    'forklift-volume-manage --config-file volume.conf cluster remove --recursive forklift-volume c1@lvm',
  ],
  async run({ values, positionals, stdout, stderr }) {
    const [name, subcommand, args] = parseSubcommand(positionals)
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
    if (values.recursive && name !== 'cluster remove') {
      throw new UsageError('--recursive applies to cluster remove only')
    }
    const registry = openRegistry(connection, { mustExist: true })
    try {
      return await subcommand({
        args,
        registry,
        downTime,
        json: values.json === true,
        reason: values.reason,
        recursive: values.recursive === true,
        stdout,
        stderr,
      })
    } finally {
      await registry.close()
    }
  },
})

/** `service list`, `service-list`, … → the subcommand and its own arguments. */
function parseSubcommand(positionals: string[]): [string, Subcommand, string[]] {
  const [first, ...rest] = positionals
  if (!first)
    throw new UsageError(
      'missing command (service list|remove|disable|enable, cluster list|remove)',
    )
  const dashed = /^(service|cluster)-(\w+)$/.exec(first)
  const [name, args] = dashed
    ? [`${dashed[1]} ${dashed[2]}`, rest]
    : [`${first} ${rest[0] ?? ''}`.trim(), rest.slice(1)]
  const subcommand = SUBCOMMANDS[name]
  if (!subcommand) {
    const known = first === 'service' || first === 'cluster'
    throw new UsageError(
      known ? `unknown ${first} action '${rest[0] ?? ''}'` : `unknown command '${first}'`,
    )
  }
  return [name, subcommand, args]
}

/** The arguments, exactly as many as `names`, or a UsageError naming them. */
function expectArgs<N extends string[]>(
  command: string,
  args: string[],
  names: [...N],
): { [K in keyof N]: string } {
  if (args.length !== names.length) {
    throw new UsageError(
      names.length === 0
        ? `${command} takes no arguments`
        : `${command} needs ${names.join(' and ')} (e.g. ${command} ${names.map((n) => example(n)).join(' ')})`,
    )
  }
  return args as { [K in keyof N]: string }
}

function example(name: string): string {
  return name === 'BINARY' ? VOLUME_BINARY : name === 'HOST' ? 'node1@lvm' : 'c1@lvm'
}

/** The binary's entry point. */
export function manageMain(argv: string[] = process.argv.slice(2)): Promise<never> {
  return runMain(manageCommand, argv)
}
