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
import { ServiceStatus } from '@forklift/supervisor/service-status'
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
  /**
   * Reads the configuration again (the same files): with restart_method
   * `mutate`, SIGHUP calls it, hands every worker its backend's new options
   * in place, and starts or stops the backends added to or removed from
   * enabled_backends. Without it, SIGHUP only resets the workers.
   */
  reloadConfig?: () => VolumeConfig
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
  // Said once here, for the launcher's log; each backend's options carry the effective value.
  effectiveServiceDownTime(conf.reportInterval, conf.serviceDownTime, logger)
  const launcher: ProcessLauncher = new ProcessLauncher({
    logger,
    workerLog: options.workerLog ?? false,
    gracefulShutdownTimeout: conf.gracefulShutdownTimeout,
    restartMethod: conf.restartMethod,
    ...(options.reloadConfig ? { mutateConfig: () => mutate(options.reloadConfig!()) } : {}),
  })
  /** The running backends by name: their launched service and registry host. */
  const running = new Map<string, { host: string; service: LaunchedService }>()
  const hostOf = new Map<string, string>()
  let current = conf

  /** Checks one backend here and launches its worker; false (logged) when it cannot run. */
  async function launchBackend(
    c: VolumeConfig,
    b: VolumeConfig['backends'][number],
    registry: ReturnType<typeof openRegistry>,
  ): Promise<boolean> {
    try {
      if (!b.hasSection) throw new Error(`no section [${b.name}] in ${c.files.join(', ')}`)
      if (!b.volumeDriver) throw new Error(`[${b.name}] volume_driver is not set`)
      const factory = await loadDriverFactory(b.volumeDriver, c.baseDir)
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
      return false
    }
    const name = `${VOLUME_BINARY} ${b.host}`
    const service = launcher.launchService(
      {
        module: WORKER_MODULE,
        export: 'createVolumeService',
        options: serviceOptions(c, b) as unknown as JsonValue,
        name,
      },
      1,
    )
    hostOf.set(name, b.host)
    running.set(b.name, { host: b.host, service })
    return true
  }

  /**
   * SIGHUP with restart_method mutate: the re-read config's options for every
   * backend still enabled (applied in its worker, same pid), new backends
   * started, removed ones stopped. A config that cannot be read throws: the
   * launcher logs it and everything keeps running unchanged.
   */
  async function mutate(next: VolumeConfig): Promise<void> {
    effectiveServiceDownTime(next.reportInterval, next.serviceDownTime, logger)
    if (next.connection !== current.connection) {
      logger.warn('[database] connection changed: it takes effect only at a restart')
    }
    const enabled = new Map(next.backends.map((b) => [b.name, b]))
    for (const [name, r] of running) {
      if (enabled.has(name)) continue
      logger.info({ backend: name }, `Backend ${name} is no longer enabled: stopping ${r.host}`)
      running.delete(name)
      void launcher.stopService(r.service)
    }
    const added = next.backends.filter((b) => !running.has(b.name))
    for (const b of next.backends) {
      const r = running.get(b.name)
      if (r) launcher.updateService(r.service, serviceOptions(next, b) as unknown as JsonValue)
    }
    if (added.length > 0) {
      const registry = openRegistry(current.connection, { logger })
      try {
        for (const b of added) {
          logger.info({ backend: b.name }, `Backend ${b.name} is newly enabled: starting ${b.host}`)
          await launchBackend(next, b, registry)
        }
      } finally {
        await registry.close()
      }
    }
    current = { ...next, connection: current.connection }
  }

  const registry = openRegistry(conf.connection, { logger })
  try {
    for (const b of conf.backends) await launchBackend(conf, b, registry)
  } finally {
    // cinder disposes of its engine before forking; we never share one, but
    // the launcher process has no use for its connection any more.
    await registry.close()
  }
  const launched = [...running.values()]

  // STATUS= and FORKLIFT_STATUS_FILE, with the servers' keys (the launcher pings the watchdog itself).
  const status = new ServiceStatus(VOLUME_BINARY, logger, process.env, { watchdog: false })
  launcher.on('worker-exit', () => {
    if (!launcher.stopping && launcher.state === 'running') status.respawned()
    status.workers(launcher.pids().length)
  })
  launcher.on('worker-started', () => status.workers(launcher.pids().length))
  launcher.on('reloaded', (result, reason) => status.reloaded(result, reason ?? undefined))
  launcher.on('stopping', () => status.stopping())
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
  status.serving(launcher.pids().length)
  try {
    return await launcher.wait()
  } finally {
    status.close()
  }
}

/** What one backend's worker is handed (plain JSON), from a config. */
function serviceOptions(
  c: VolumeConfig,
  b: VolumeConfig['backends'][number],
): VolumeServiceOptions {
  return {
    connection: c.connection,
    backend: b.name,
    host: b.host,
    cluster: b.cluster,
    availabilityZone: b.availabilityZone,
    volumeDriver: b.volumeDriver ?? '',
    baseDir: c.baseDir,
    config: { ...b.options, volume_backend_name: b.volumeBackendName },
    reportInterval: c.reportInterval,
    periodicInterval: c.periodicInterval,
    periodicFuzzyDelay: c.periodicFuzzyDelay,
    serviceDownTime: effectiveServiceDownTime(c.reportInterval, c.serviceDownTime),
  }
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
