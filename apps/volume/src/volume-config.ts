import { hostname } from 'node:os'
import { dirname, resolve } from 'node:path'
import {
  type Config,
  ConfigError,
  type ConfigWhere,
  configFloatValue,
  configTrueValue,
  listFromCsv,
  loadConfig,
  pasteDefaults,
} from '@forklift/config'
import {
  DEFAULT_PERIODIC_FUZZY_DELAY,
  DEFAULT_PERIODIC_INTERVAL,
  DEFAULT_REPORT_INTERVAL,
  DEFAULT_SERVICE_DOWN_TIME,
  DEFAULT_STATE_PATH,
  defaultConnectionUrl,
} from '@forklift/registry'
import { RESTART_METHODS, type RestartMethod } from '@forklift/supervisor/launcher'

/** One enabled backend, as its own config section describes it. */
export interface BackendConfig {
  name: string
  /** `<host>@<backend>`, where host is the section's own `backend_host` or `[DEFAULT] host`. */
  host: string
  /** `<cluster>@<backend>`, or null. */
  cluster: string | null
  /** `volume_driver`, or undefined when the section does not set it. */
  volumeDriver: string | undefined
  volumeBackendName: string
  /** [DEFAULT] + the section, what the driver is given. */
  options: Record<string, string>
  /** Whether the section exists at all. */
  hasSection: boolean
}

/** The volume launcher's configuration, read the way cinder-volume reads cinder.conf. */
export interface VolumeConfig {
  files: string[]
  /** Relative `volume_driver` paths resolve against this (the config file's directory). */
  baseDir: string
  enabledBackends: string[]
  host: string
  cluster: string | null
  reportInterval: number
  periodicInterval: number
  periodicFuzzyDelay: number
  serviceDownTime: number
  /** Seconds a graceful stop may take (0 = forever); the ProcessLauncher's. */
  gracefulShutdownTimeout: number
  /** What SIGHUP does to the workers (as a daemon). */
  restartMethod: RestartMethod
  statePath: string
  connection: string
  logFile: string | undefined
  debug: boolean
  backends: BackendConfig[]
}

/**
 * Loads `--config-file` and then every `*.conf` of `--config-dir` (later files
 * win, as oslo.config does). oslo.config semantics where they differ from
 * configparser's: options of a group (`[database] connection`, a backend's
 * `backend_host`) come from that section only, never from `[DEFAULT]`.
 */
export function loadVolumeConfig(configFile: string, configDir?: string): VolumeConfig {
  const layers = [configFile, ...(configDir ? [configDir] : [])].map((p) =>
    loadConfig(p, { defaults: pasteDefaults(p) }),
  )
  const view = new LayeredConfig(layers)
  const d = (key: string) => view.get('DEFAULT', key)
  const where = (key: string, section = 'DEFAULT') => view.where(section, key)
  const num = (key: string, def: number, min: number, section = 'DEFAULT') => {
    const v = section === 'DEFAULT' ? d(key) : view.own(section, key)
    return v === undefined || v.trim() === ''
      ? def
      : configFloatValue(v, where(key, section), { min })
  }

  const host = d('host')?.trim() || hostname()
  const clusterName = d('cluster')?.trim() || null
  const statePath = resolve(d('state_path')?.trim() || DEFAULT_STATE_PATH)
  const reportInterval = num('report_interval', DEFAULT_REPORT_INTERVAL, 0.001)
  const enabledBackends = listFromCsv(d('enabled_backends'))
  const backends = enabledBackends.map((name): BackendConfig => {
    const hasSection = view.hasSection(name)
    const backendHost = hasSection ? view.own(name, 'backend_host')?.trim() : undefined
    return {
      name,
      host: `${backendHost || host}@${name}`,
      cluster: clusterName ? `${clusterName}@${name}` : null,
      volumeDriver: hasSection ? view.own(name, 'volume_driver')?.trim() || undefined : undefined,
      volumeBackendName: (hasSection && view.own(name, 'volume_backend_name')?.trim()) || name,
      options: hasSection ? view.section(name) : view.defaults(),
      hasSection,
    }
  })
  return {
    files: layers.flatMap((c) => [...c.files]),
    baseDir: dirname(resolve(configFile)),
    enabledBackends,
    host,
    cluster: clusterName,
    reportInterval,
    periodicInterval: num('periodic_interval', DEFAULT_PERIODIC_INTERVAL, 0),
    periodicFuzzyDelay: num('periodic_fuzzy_delay', DEFAULT_PERIODIC_FUZZY_DELAY, 0),
    serviceDownTime: num('service_down_time', DEFAULT_SERVICE_DOWN_TIME, 0.001),
    gracefulShutdownTimeout: num('graceful_shutdown_timeout', 60, 0),
    restartMethod: restartMethod(d('restart_method'), where('restart_method')),
    statePath,
    connection:
      (view.hasSection('database') && view.own('database', 'connection')?.trim()) ||
      defaultConnectionUrl(statePath),
    logFile: d('log_file')?.trim() || undefined,
    debug: configTrueValue(d('debug')),
    backends,
  }
}

function restartMethod(v: string | undefined, where: ConfigWhere): RestartMethod {
  const m = v?.trim() || 'reload'
  if (!(RESTART_METHODS as readonly string[]).includes(m)) {
    throw new ConfigError(
      'E_CONFIG_VALUE',
      where,
      `must be reload or mutate, not ${JSON.stringify(v)}`,
    )
  }
  return m as RestartMethod
}

/** Several configs read in order, later ones winning key by key. */
class LayeredConfig {
  readonly #layers: Config[]

  constructor(layers: Config[]) {
    this.#layers = layers
  }

  hasSection(name: string): boolean {
    return this.#layers.some((c) => c.hasSection(name))
  }

  /** A `[DEFAULT]` value (section `DEFAULT`) or a section's value with `[DEFAULT]` fallback. */
  get(section: string, key: string): string | undefined {
    if (section !== 'DEFAULT') return this.own(section, key) ?? this.get('DEFAULT', key)
    for (const c of [...this.#layers].reverse()) {
      const v = c.get('DEFAULT', key)
      if (v !== undefined && c.where('DEFAULT', key).line !== undefined) return v
    }
    return this.#layers[0]?.get('DEFAULT', key) // paste defaults (here, __file__)
  }

  /** A value set in the section itself, not inherited from `[DEFAULT]`. */
  own(section: string, key: string): string | undefined {
    for (const c of [...this.#layers].reverse()) {
      if (!c.hasSection(section)) continue
      const v = c.get(section, key)
      if (v !== undefined && !inheritedFromDefault(c, section, key)) return v
    }
    return undefined
  }

  defaults(): Record<string, string> {
    return Object.assign({}, ...this.#layers.map((c) => c.defaults()))
  }

  /** [DEFAULT] + the section's own keys, across layers. */
  section(name: string): Record<string, string> {
    const out = this.defaults()
    for (const c of this.#layers) {
      if (!c.hasSection(name)) continue
      for (const key of Object.keys(c.section(name))) {
        if (!inheritedFromDefault(c, name, key)) out[key] = c.get(name, key)!
      }
    }
    return out
  }

  where(section: string, key: string) {
    for (const c of [...this.#layers].reverse()) {
      if (section === 'DEFAULT' ? c.get('DEFAULT', key) !== undefined : c.hasSection(section)) {
        return c.where(section, key)
      }
    }
    return this.#layers[0]!.where(section, key)
  }
}

/** configparser merges [DEFAULT] into every section; tell an inherited value by where it was set. */
function inheritedFromDefault(c: Config, section: string, key: string): boolean {
  const inDefault = c.where('DEFAULT', key)
  if (c.get('DEFAULT', key) === undefined) return false
  const inSection = c.where(section, key)
  return inSection.file === inDefault.file && inSection.line === inDefault.line
}

/** cinder-volume's line when enabled_backends is missing or empty (cinder/cmd/volume.py). */
export const NO_ENABLED_BACKENDS_MESSAGE =
  'Configuration for forklift-volume does not specify "enabled_backends". Using DEFAULT section to configure drivers is not supported since Ocata.'
