/**
 * oslo.service's launchers for Node: `ServiceLauncher` runs services in this
 * process, `ProcessLauncher` (./launcher-process) runs each in N worker
 * processes, and `launch()` picks one. Both own the process's signals:
 * SIGTERM stops gracefully within graceful_shutdown_timeout, SIGINT exits at
 * once, SIGHUP restarts when running as a daemon and stops otherwise.
 */
import { checkWorkers } from './child.js'
import { SupervisorError } from './errors.js'
import { type LauncherOptions, RESTART_METHODS, type RestartMethod } from './launcher-base.js'
import { ProcessLauncher, type ProcessLauncherOptions } from './launcher-process.js'
import { ServiceLauncher } from './launcher-service.js'
import { isServiceBase, type ServiceBase } from './service.js'
import { checkServiceArg, type ServiceSpec } from './service-spec.js'

export {
  isDaemon,
  type LaunchedService,
  type LaunchedServiceState,
  type LauncherEvents,
  type LauncherOptions,
  type LauncherState,
  RESTART_METHODS,
  type RestartMethod,
  type StartResult,
} from './launcher-base.js'
export {
  ProcessLauncher,
  type ProcessLauncherOptions,
  type ProcessLaunchOptions,
  type WorkerEvent,
} from './launcher-process.js'
export { ServiceLauncher } from './launcher-service.js'
export { isServiceBase, Service, type ServiceBase } from './service.js'
export {
  isServiceSpec,
  type JsonValue,
  type ServiceContext,
  type ServiceFactory,
  type ServiceSpec,
} from './service-spec.js'

/**
 * Launches `service` with `workers` processes (oslo.service's `launch`): 1 (or
 * unset) runs it in this process with a ServiceLauncher; more need a spec and
 * get a ProcessLauncher. SupervisorError E_SUPERVISOR_WORKERS for a bad count,
 * or a live service object with workers > 1 (a live object cannot be forked).
 */
export function launch(
  service: ServiceBase | ServiceSpec,
  workers?: number,
  options: ProcessLauncherOptions = {},
): ServiceLauncher | ProcessLauncher {
  if (workers !== undefined) checkWorkers(workers)
  const inProcess = workers === undefined || workers === 1
  if (!inProcess && isServiceBase(service)) {
    throw new SupervisorError(
      'E_SUPERVISOR_WORKERS',
      `cannot run a live service object in ${workers} worker processes: describe it as { module, export, options }`,
    )
  }
  // Checked before a launcher exists: a refused call leaves no timer or signal handler behind.
  checkServiceArg(service, inProcess)
  const launcher = inProcess ? new ServiceLauncher(options) : new ProcessLauncher(options)
  try {
    if (launcher instanceof ServiceLauncher) launcher.launchService(service)
    else launcher.launchService(service as ServiceSpec, workers)
  } catch (err) {
    // E.g. a module that cannot be resolved: nothing was started, nothing may stay.
    void launcher.stop()
    throw err
  }
  return launcher
}

/**
 * Launcher options from a config section: `graceful_shutdown_timeout`
 * (seconds, 0 = forever) and `restart_method` (reload|mutate).
 * SupervisorError E_SUPERVISOR_OPTION names the key.
 */
export function launcherOptionsFromConf(
  conf: Record<string, string | undefined>,
): Pick<LauncherOptions, 'gracefulShutdownTimeout' | 'restartMethod'> {
  const out: Pick<LauncherOptions, 'gracefulShutdownTimeout' | 'restartMethod'> = {}
  const timeout = conf.graceful_shutdown_timeout?.trim()
  if (timeout) {
    const n = Number(timeout)
    if (!/^\d+(\.\d+)?$/.test(timeout) || !Number.isFinite(n)) {
      throw new SupervisorError(
        'E_SUPERVISOR_OPTION',
        `graceful_shutdown_timeout must be a number of seconds >= 0, got ${JSON.stringify(conf.graceful_shutdown_timeout)}`,
      )
    }
    out.gracefulShutdownTimeout = n
  }
  const method = conf.restart_method?.trim()
  if (method) {
    if (!(RESTART_METHODS as readonly string[]).includes(method)) {
      throw new SupervisorError(
        'E_SUPERVISOR_OPTION',
        `restart_method must be reload or mutate, got ${JSON.stringify(conf.restart_method)}`,
      )
    }
    out.restartMethod = method as RestartMethod
  }
  return out
}
