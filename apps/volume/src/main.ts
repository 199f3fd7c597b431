import { fileURLToPath } from 'node:url'
import { defineCommand, ExitError, runMain, UsageError } from '@forklift/cli'
import { formatError } from '@forklift/errors'
import { type CreateLoggerOptions, createLogger, type Logger } from '@forklift/log'
import {
  effectiveServiceDownTime,
  loadDriverFactory,
  openRegistry,
  VOLUME_BINARY,
  type VolumeServiceOptions,
} from '@forklift/registry'
import {
  type JsonValue,
  type LaunchedService,
  ProcessLauncher,
} from '@forklift/supervisor/launcher'
import {
  loadVolumeConfig,
  NO_ENABLED_BACKENDS_MESSAGE,
  type VolumeConfig,
} from './volume-config.js'

/** cinder-volume's line when no backend came up. */
export const NO_SERVICES_MESSAGE = 'No volume service(s) started successfully, terminating.'

const WORKER_MODULE = fileURLToPath(new URL('./worker.js', import.meta.url))

/** `forklift-volume`: one worker process per enabled backend, each registered and heartbeating. */
export const volumeCommand = defineCommand({
  name: 'forklift-volume',
  summary: 'Runs one volume service worker per enabled backend (cinder-volume style).',
  usage: 'forklift-volume --config-file FILE [--config-dir DIR] [--verbose]',
  description:
    'Reads [DEFAULT] enabled_backends and one section per backend (volume_driver = <module>#<export>, ' +
    'backend_host, volume_backend_name), registers each backend as <host>@<backend> in the service ' +
    'registry ([database] connection; default a SQLite file under state_path) and keeps one worker ' +
    'process per backend alive. SIGTERM stops, SIGHUP restarts the workers (as a daemon), SIGINT exits.',
  options: {
    'config-file': {
      type: 'string',
      valueName: 'FILE',
      description: 'the configuration file (required)',
    },
    'config-dir': {
      type: 'string',
      valueName: 'DIR',
      description: 'a directory of *.conf files read after --config-file, in sorted order',
    },
    verbose: { type: 'boolean', short: 'v', description: 'log at debug level' },
  },
  examples: ['forklift-volume --config-file /etc/forklift/volume.conf'],
  async run({ values }) {
    const file = values['config-file']
    if (!file) throw new UsageError('--config-file is required')
    const conf = loadVolumeConfig(file, values['config-dir'])
    if (conf.enabledBackends.length === 0) throw new ExitError(1, NO_ENABLED_BACKENDS_MESSAGE)
    const log = {
      name: 'forklift-volume',
      verbose: values.verbose === true || conf.debug,
      ...(conf.logFile ? { file: conf.logFile } : {}),
    }
    return launchVolumeServices(conf, createLogger(log), log)
  },
})

/**
 * cinder's _launch_services: checks each backend here (its driver module
 * loads, its record exists), hands the rest to a ProcessLauncher, and fails
 * when none started. Resolves the launcher's exit status.
 */
export async function launchVolumeServices(
  conf: VolumeConfig,
  logger: Logger,
  workerLog: CreateLoggerOptions | false = false,
): Promise<number> {
  const serviceDownTime = effectiveServiceDownTime(
    conf.reportInterval,
    conf.serviceDownTime,
    logger,
  )
  const registry = openRegistry(conf.connection, { logger })
  const launcher = new ProcessLauncher({
    logger,
    workerLog,
    gracefulShutdownTimeout: conf.gracefulShutdownTimeout,
    restartMethod: conf.restartMethod,
  })
  const launched: Array<{ host: string; service: LaunchedService }> = []
  try {
    for (const b of conf.backends) {
      try {
        if (!b.hasSection) throw new Error(`no section [${b.name}] in ${conf.files.join(', ')}`)
        if (!b.volumeDriver) throw new Error(`[${b.name}] volume_driver is not set`)
        await loadDriverFactory(b.volumeDriver, conf.baseDir)
        // Created here, once; a respawned worker finds and reuses it.
        await registry.register({ host: b.host, binary: VOLUME_BINARY, cluster: b.cluster })
      } catch (err) {
        logger.error(
          { err: formatError(err), backend: b.name },
          `Volume service ${b.host} failed to start.`,
        )
        continue
      }
      const options: VolumeServiceOptions = {
        connection: conf.connection,
        backend: b.name,
        host: b.host,
        cluster: b.cluster,
        volumeDriver: b.volumeDriver,
        baseDir: conf.baseDir,
        config: { ...b.options, volume_backend_name: b.volumeBackendName },
        reportInterval: conf.reportInterval,
        periodicInterval: conf.periodicInterval,
        periodicFuzzyDelay: conf.periodicFuzzyDelay,
        serviceDownTime,
      }
      const service = launcher.launchService(
        {
          module: WORKER_MODULE,
          export: 'createVolumeService',
          options: options as unknown as JsonValue,
          name: `${VOLUME_BINARY} ${b.host}`,
        },
        1,
      )
      launched.push({ host: b.host, service })
    }
  } finally {
    // cinder disposes of its engine before forking; we never share one, but
    // the launcher process has no use for its connection any more.
    await registry.close()
  }

  let started = 0
  for (const { host, service } of launched) {
    const result = await service.started
    if (result.ok) started++
    else logger.error({ err: formatError(result.error) }, `Volume service ${host} failed to start.`)
  }
  if (started === 0) {
    logger.error(NO_SERVICES_MESSAGE)
    await launcher.stop()
    throw new ExitError(1, NO_SERVICES_MESSAGE)
  }
  return launcher.wait()
}

/** The binary's entry point. */
export function main(argv: string[] = process.argv.slice(2)): Promise<never> {
  return runMain(volumeCommand, argv)
}
