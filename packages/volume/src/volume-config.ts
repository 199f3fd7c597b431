import { hostname } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { ConfigError, configFloatValue, listFromCsv } from '@forklift/config'
import { loadOsloConfig, type OsloConfig } from '@forklift/config/oslo'
import { quoteInput } from '@forklift/errors'
import { FACILITY_NAMES, parseFacility } from '@forklift/log'
import {
  DEFAULT_AVAILABILITY_ZONE,
  DEFAULT_REPORT_INTERVAL,
  DEFAULT_SERVICE_DOWN_TIME,
  DEFAULT_STATE_PATH,
  defaultConnectionUrl,
} from '@forklift/registry'
import { launcherOptionsFromConf, type RestartMethod } from '@forklift/supervisor/launcher'
import {
  DEFAULT_PERIODIC_FUZZY_DELAY,
  DEFAULT_PERIODIC_INTERVAL,
  VOLUME_BINARY,
} from './volume-service.js'

/** One enabled backend, as its own config section describes it. */
export interface BackendConfig {
  name: string
  /** `<host>@<backend>`, where host is the section's own `backend_host` or `[DEFAULT] host`. */
  host: string
  /** `<cluster>@<backend>`, or null. */
  cluster: string | null
  /** The section's `backend_availability_zone`, else `[DEFAULT] storage_availability_zone`. */
  availabilityZone: string
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
  /** What SIGHUP does to the workers (as a daemon); default `mutate`, as cinder-volume runs. */
  restartMethod: RestartMethod
  statePath: string
  connection: string
  /** The log file oslo.log would write ({@link osloLogFile} of `log_file` and `log_dir`), or undefined: standard error. */
  logFile: string | undefined
  debug: boolean
  /**
   * `use_syslog`: also log to syslog, beside the file or standard error, as
   * oslo.log adds its syslog handler: at `syslog_log_facility` (default
   * LOG_USER), to `syslog_address` (forklift's; default /dev/log). Undefined
   * when off.
   */
  syslog: { facility: number; address: string } | undefined
  backends: BackendConfig[]
}

/**
 * Loads `--config-file` and then every `*.conf` of `--config-dir` (later files
 * win, as oslo.config does; see `@forklift/config/oslo`) and reads cinder's
 * options from them. ConfigError naming file, line, section and key for a bad value.
 */
export function loadVolumeConfig(configFile: string, configDir?: string): VolumeConfig {
  const conf = loadOsloConfig(configFile, configDir)
  const d = (key: string) => conf.get('DEFAULT', key)
  const num = (key: string, def: number, min: number) => {
    const v = d(key)
    return v === undefined || v.trim() === ''
      ? def
      : configFloatValue(v, conf.where('DEFAULT', key), { min })
  }

  const host = d('host')?.trim() || hostname()
  const clusterName = d('cluster')?.trim() || null
  const statePath = resolve(d('state_path')?.trim() || DEFAULT_STATE_PATH)
  const zone = d('storage_availability_zone')?.trim() || DEFAULT_AVAILABILITY_ZONE
  const enabledBackends = listFromCsv(d('enabled_backends'))
  const backends = enabledBackends.map((name): BackendConfig => {
    const hasSection = conf.hasSection(name)
    const own = (key: string) => (hasSection ? conf.get(name, key)?.trim() || undefined : undefined)
    return {
      name,
      host: `${own('backend_host') || host}@${name}`,
      cluster: clusterName ? `${clusterName}@${name}` : null,
      availabilityZone: own('backend_availability_zone') || zone,
      volumeDriver: own('volume_driver'),
      volumeBackendName: own('volume_backend_name') || name,
      options: conf.section(name),
      hasSection,
    }
  })
  const launcher = launcherOptions(conf)
  return {
    files: conf.files,
    baseDir: dirname(resolve(configFile)),
    enabledBackends,
    host,
    cluster: clusterName,
    reportInterval: num('report_interval', DEFAULT_REPORT_INTERVAL, 0.001),
    periodicInterval: num('periodic_interval', DEFAULT_PERIODIC_INTERVAL, 0),
    periodicFuzzyDelay: num('periodic_fuzzy_delay', DEFAULT_PERIODIC_FUZZY_DELAY, 0),
    serviceDownTime: num('service_down_time', DEFAULT_SERVICE_DOWN_TIME, 0.001),
    gracefulShutdownTimeout: launcher.gracefulShutdownTimeout ?? 60,
    restartMethod: launcher.restartMethod ?? 'mutate',
    statePath,
    connection: conf.get('database', 'connection')?.trim() || defaultConnectionUrl(statePath),
    logFile: osloLogFile(d('log_file')?.trim(), d('log_dir')?.trim(), VOLUME_BINARY),
    debug: osloBool(conf, 'debug'),
    syslog: osloBool(conf, 'use_syslog')
      ? {
          facility: osloFacility(conf),
          address: d('syslog_address')?.trim() || '/dev/log',
        }
      : undefined,
    backends,
  }
}

/**
 * oslo.log's log file: `log_file`, under `log_dir` when that is set too (an
 * absolute `log_file` stays itself, as Python's os.path.join keeps it);
 * with `log_dir` alone, `<log_dir>/<binary>.log`; else undefined.
 */
export function osloLogFile(
  logFile: string | undefined,
  logDir: string | undefined,
  binary: string,
): string | undefined {
  if (logFile && logDir) return resolve(logDir, logFile)
  if (logFile) return logFile
  if (logDir) return join(logDir, `${binary}.log`)
  return undefined
}

// oslo.config's Boolean type: these words in any case, anything else refused.
const OSLO_TRUE = new Set(['true', '1', 'on', 'yes'])
const OSLO_FALSE = new Set(['false', '0', 'off', 'no'])

/** A [DEFAULT] BoolOpt as oslo.config reads it (unset or blank: false); ConfigError for another word. */
function osloBool(conf: OsloConfig, key: string): boolean {
  const v = conf.get('DEFAULT', key)?.trim()
  if (v === undefined || v === '') return false
  const lower = v.toLowerCase()
  if (OSLO_TRUE.has(lower)) return true
  if (OSLO_FALSE.has(lower)) return false
  throw new ConfigError(
    'E_CONFIG_VALUE',
    conf.where('DEFAULT', key),
    `must be true or false (or 1/0, yes/no, on/off), not ${quoteInput(v)}`,
  )
}

// The facilities oslo.log's _find_facility accepts (Linux's syslog module has them all).
const OSLO_FACILITIES = FACILITY_NAMES.filter(
  (n) => !['LOG_NTP', 'LOG_SECURITY', 'LOG_CONSOLE', 'LOG_SOLCRIT'].includes(n),
)

/** `syslog_log_facility` as oslo.log reads it: `LOG_LOCAL0`, `local0`, any case; default LOG_USER. */
function osloFacility(conf: OsloConfig): number {
  const v = conf.get('DEFAULT', 'syslog_log_facility')?.trim() || 'LOG_USER'
  const upper = v.toUpperCase()
  const name = upper.startsWith('LOG_') ? upper : `LOG_${upper}`
  const code = OSLO_FACILITIES.includes(name) ? parseFacility(name) : undefined
  if (code === undefined) {
    throw new ConfigError(
      'E_CONFIG_VALUE',
      conf.where('DEFAULT', 'syslog_log_facility'),
      `${quoteInput(v)} is not a syslog facility; one of ${OSLO_FACILITIES.join(', ')} (or without LOG_, in any case)`,
    )
  }
  return code
}

/**
 * The launcher's own options, read by the supervisor's one reader of them;
 * its error becomes a ConfigError that says where the bad value is.
 */
function launcherOptions(conf: OsloConfig): ReturnType<typeof launcherOptionsFromConf> {
  const out: ReturnType<typeof launcherOptionsFromConf> = {}
  for (const key of ['graceful_shutdown_timeout', 'restart_method'] as const) {
    try {
      Object.assign(out, launcherOptionsFromConf({ [key]: conf.get('DEFAULT', key) }))
    } catch (err) {
      // The supervisor's message names the key; the location says it already.
      const problem = (err as Error).message.replace(new RegExp(`^${key} `), '')
      throw new ConfigError('E_CONFIG_VALUE', conf.where('DEFAULT', key), problem)
    }
  }
  return out
}

/** cinder-volume's line when enabled_backends is missing or empty (cinder/cmd/volume.py). */
export const NO_ENABLED_BACKENDS_MESSAGE =
  'Configuration for forklift-volume does not specify "enabled_backends". Using DEFAULT section to configure drivers is not supported since Ocata.'
