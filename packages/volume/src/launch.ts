import { fileURLToPath } from 'node:url'
import { formatError } from '@forklift/errors'
import type { CreateLoggerOptions, Logger } from '@forklift/log'
import { effectiveServiceDownTime, openRegistry } from '@forklift/registry'
import {
  type JsonValue,
  type LaunchedService,
  ProcessLauncher,
  type WorkerEvent,
} from '@forklift/supervisor/launcher'
import { activeActiveMessage, checkActiveActive, loadDriverFactory } from './driver.js'
import { VolumeError } from './errors.js'
import { NO_ENABLED_BACKENDS_MESSAGE, type VolumeConfig } from './volume-config.js'
import { VOLUME_BINARY, type VolumeServiceOptions } from './volume-service.js'

/** cinder-volume's line when no backend came up. */
export const NO_SERVICES_MESSAGE = 'No volume service(s) started successfully, terminating.'

const WORKER_MODULE = fileURLToPath(new URL('./_worker.js', import.meta.url))

/** What launchVolumeServices needs besides the config. */
export interface LaunchVolumeOptions {
  logger: Logger
  /** How each worker logs (the ProcessLauncher's `workerLog`); default silent. */
  workerLog?: CreateLoggerOptions | false
}

/**
 * cinder's _launch_services: checks each backend here (its section and
 * driver module, active-active support when a cluster is set, its record),
 * hands the rest to a ProcessLauncher (one worker each), and fails when none
 * started. While running, a worker that dies unexpectedly is marked crashed
 * in the registry, so the backend reads as down until its respawned worker
 * heartbeats, never as up while nothing runs its driver. Resolves the
 * launcher's exit status; VolumeError E_VOLUME_NO_BACKENDS (nothing enabled)
 * or E_VOLUME_NONE_STARTED (cinder's lines) when there is nothing to run.
 */
export async function launchVolumeServices(
  conf: VolumeConfig,
  options: LaunchVolumeOptions,
): Promise<number> {
  const { logger } = options
  if (conf.enabledBackends.length === 0) {
    throw new VolumeError('E_VOLUME_NO_BACKENDS', NO_ENABLED_BACKENDS_MESSAGE)
  }
  const serviceDownTime = effectiveServiceDownTime(
    conf.reportInterval,
    conf.serviceDownTime,
    logger,
  )
  const registry = openRegistry(conf.connection, { logger })
  const launcher = new ProcessLauncher({
    logger,
    workerLog: options.workerLog ?? false,
    gracefulShutdownTimeout: conf.gracefulShutdownTimeout,
    restartMethod: conf.restartMethod,
  })
  const launched: Array<{ host: string; service: LaunchedService }> = []
  const hostOf = new Map<string, string>()
  try {
    for (const b of conf.backends) {
      try {
        if (!b.hasSection) throw new Error(`no section [${b.name}] in ${conf.files.join(', ')}`)
        if (!b.volumeDriver) throw new Error(`[${b.name}] volume_driver is not set`)
        const factory = await loadDriverFactory(b.volumeDriver, conf.baseDir)
        try {
          checkActiveActive(factory, b.volumeDriver, b.cluster)
        } catch (err) {
          logger.error({ backend: b.name, cluster: b.cluster }, activeActiveMessage(b.volumeDriver))
          throw err
        }
        // Created here, once (with its cluster's record); a respawned worker finds and reuses it.
        await registry.register({
          host: b.host,
          binary: VOLUME_BINARY,
          cluster: b.cluster,
          availabilityZone: b.availabilityZone,
        })
      } catch (err) {
        logger.error(
          { err: formatError(err), backend: b.name },
          `Volume service ${b.host} failed to start.`,
        )
        continue
      }
      const serviceOptions: VolumeServiceOptions = {
        connection: conf.connection,
        backend: b.name,
        host: b.host,
        cluster: b.cluster,
        availabilityZone: b.availabilityZone,
        volumeDriver: b.volumeDriver,
        baseDir: conf.baseDir,
        config: { ...b.options, volume_backend_name: b.volumeBackendName },
        reportInterval: conf.reportInterval,
        periodicInterval: conf.periodicInterval,
        periodicFuzzyDelay: conf.periodicFuzzyDelay,
        serviceDownTime,
      }
      const name = `${VOLUME_BINARY} ${b.host}`
      const service = launcher.launchService(
        {
          module: WORKER_MODULE,
          export: 'createVolumeService',
          options: serviceOptions as unknown as JsonValue,
          name,
        },
        1,
      )
      hostOf.set(name, b.host)
      launched.push({ host: b.host, service })
    }
  } finally {
    // cinder disposes of its engine before forking; we never share one, but
    // the launcher process has no use for its connection any more.
    await registry.close()
  }

  launcher.on('worker-exit', (ev: WorkerEvent) => {
    const host = hostOf.get(ev.service)
    if (!host || launcher.stopping || (ev.code === 0 && !ev.signal)) return
    void markCrashed(conf.connection, host, logger)
  })

  let started = 0
  for (const { host, service } of launched) {
    const result = await service.started
    if (result.ok) started++
    else logger.error({ err: formatError(result.error) }, `Volume service ${host} failed to start.`)
  }
  if (started === 0) {
    logger.error(NO_SERVICES_MESSAGE)
    await launcher.stop()
    throw new VolumeError('E_VOLUME_NONE_STARTED', NO_SERVICES_MESSAGE)
  }
  return launcher.wait()
}

/** Opens the registry for one write and closes it: crashes are rare, and the launcher keeps no connection. */
async function markCrashed(connection: string, host: string, logger: Logger): Promise<void> {
  const registry = openRegistry(connection, { logger })
  try {
    await registry.markCrashed(host, VOLUME_BINARY)
  } catch (err) {
    logger.error(
      { err: formatError(err), host },
      'cannot mark the crashed service down in the registry',
    )
  } finally {
    await registry.close()
  }
}
