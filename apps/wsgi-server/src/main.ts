// The binaries of this app: which server each is, wired to the runner.
import { readdir } from 'node:fs/promises'
import { packageVersion, runMain } from '@forklift/cli'
import { type DaemonPassContext, type ServerBinary, serverCommand } from '@forklift/runner'

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
    pass: samplePass,
  },
}

/** Runs the binary `name` (a key of BINARIES) and exits with its status. */
export function main(
  name: string,
  argv: readonly string[] = process.argv.slice(2),
): Promise<never> {
  const binary = BINARIES[name]
  if (!binary) throw new TypeError(`unknown binary ${name}`)
  // The app's version, not the runner's: the binary is what the operator installed.
  return runMain({ ...serverCommand(binary), version: () => packageVersion(import.meta.url) }, argv)
}
