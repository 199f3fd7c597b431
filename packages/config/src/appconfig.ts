/**
 * Swift's appconfig/readconf for a server: `[DEFAULT]` plus the server's app
 * (or daemon) section of a config file or `.conf.d` directory, as Swift's
 * run_wsgi and run_daemon read them, read once per process.
 */
import { resolve } from 'node:path'
import { type Config, loadConfig, pasteDefaults } from './config.js'
import { ConfigError } from './errors.js'
import { loadPasteApp } from './paste.js'

/** A server's settings: `[DEFAULT]` plus its app (or daemon) section, as Swift's appconfig/readconf give them. */
export interface ServerConf {
  /** The absolute config path (a file or a `.conf.d` directory). */
  file: string
  /** The section the settings came from (`app:object-server`), or `DEFAULT` when there is none. */
  section: string
  /** The name to log under: `log_name`, else the section's name without its `app:` prefix. */
  logName: string
  /** `[DEFAULT]` + the section, interpolated. */
  conf: Record<string, string>
  /** `[DEFAULT]` alone: the global conf handed to the paste pipeline. */
  global: Record<string, string>
  /**
   * The loaded config, for callers that need other sections, or the whole
   * pipeline (`config.withDefaults({ log_name })` is what paste.deploy reads
   * when Swift loads the app with `global_conf={'log_name': …}`), without
   * reading the file again.
   */
  config: Config
}

/** Options of {@link loadServerConf}. */
export interface LoadServerConfOptions {
  /**
   * The app section, e.g. `object-server` for `[app:object-server]`, as Swift's
   * binaries pass to run_wsgi. Looked up as `app:X`, `pipeline:X`,
   * `composite:X`, then a plain `[X]` (daemons). Without it: the app the
   * `[pipeline:main]` ends in, else `[app:main]`, else `[DEFAULT]` alone.
   */
  section?: string
}

const PREFIXES = ['app:', 'pipeline:', 'composite:', ''] as const

function findSection(config: Config, name: string): string | undefined {
  for (const prefix of PREFIXES) {
    if (config.hasSection(prefix + name)) return prefix + name
  }
  return undefined
}

function mainAppSection(config: Config): string | undefined {
  if (config.hasSection('pipeline:main')) {
    const names = (config.section('pipeline:main').pipeline ?? '').split(/\s+/).filter(Boolean)
    const last = names[names.length - 1]
    if (last !== undefined) return findSection(config, last)
  }
  for (const s of ['app:main', 'composite:main']) if (config.hasSection(s)) return s
  return undefined
}

/** Loads a server's config; throws ConfigError naming the file and section when it cannot. */
export function loadServerConf(confPath: string, options: LoadServerConfOptions = {}): ServerConf {
  const file = resolve(confPath)
  // paste.deploy's `here` and `__file__`, so a conf can say `log_file = %(here)s/...`
  const config = loadConfig(file, { defaults: pasteDefaults(file) })
  let section: string | undefined
  if (options.section !== undefined) {
    section = findSection(config, options.section)
    if (section === undefined) {
      throw new ConfigError(
        'E_CONFIG_NO_SECTION',
        { file, section: `app:${options.section}` },
        `no such section (nor [${options.section}])`,
      )
    }
  } else {
    section = mainAppSection(config)
  }
  const bare = section ? section.replace(/^[a-z]+:/, '') : 'server'
  let global = config.defaults()
  let conf = section ? config.section(section) : global
  if (section && section !== bare) {
    // A paste.deploy section: its options as paste.deploy's appconfig gives
    // them (a plain local key that is also in [DEFAULT] loses to the global
    // value; `set key = value` wins), as Swift's run_wsgi reads them.
    const node = loadPasteApp(config, bare)
    global = node.globalConf
    conf = { ...node.globalConf, ...node.localConf }
  }
  const logName = conf.log_name?.trim() || options.section || bare
  return { file, section: section ?? 'DEFAULT', logName, conf, global, config }
}
