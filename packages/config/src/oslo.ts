import { type Config, loadConfig, pasteDefaults } from './config.js'
import type { ConfigWhere } from './errors.js'

const DEFAULT = 'DEFAULT'

/**
 * Loads oslo.config's sources in its order: `--config-file` (one or more),
 * then every `*.conf` of `--config-dir`, sorted. Each is parsed with
 * configparser's grammar (`%(here)s` and `__file__` as paste.deploy gives
 * them, interpolation within a file); later sources win key by key.
 */
export function loadOsloConfig(
  configFiles: string | readonly string[],
  configDir?: string,
): OsloConfig {
  const paths = [...(typeof configFiles === 'string' ? [configFiles] : configFiles)]
  if (configDir) paths.push(configDir)
  return new OsloConfig(paths.map((p) => loadConfig(p, { defaults: pasteDefaults(p) })))
}

/**
 * Several configs read in order, later ones winning key by key, with
 * oslo.config's view of groups: an option of a group (`[database]
 * connection`, a backend's `backend_host`) comes from that group's own
 * section only, never from `[DEFAULT]`, which configparser would merge in.
 */
export class OsloConfig {
  readonly #layers: readonly Config[]

  constructor(layers: readonly Config[]) {
    this.#layers = layers
  }

  /** Every file read, in the order they were merged. */
  get files(): string[] {
    return this.#layers.flatMap((c) => [...c.files])
  }

  /** True when any source has the section. */
  hasSection(name: string): boolean {
    return this.#layers.some((c) => c.hasSection(name))
  }

  /**
   * An option of a group: `[DEFAULT]`'s for group `DEFAULT`, otherwise the
   * value set in the group's own section (not inherited from `[DEFAULT]`),
   * from the last source that sets it. Undefined when unset.
   */
  get(group: string, key: string): string | undefined {
    if (group === DEFAULT) {
      for (const c of [...this.#layers].reverse()) {
        const v = c.get(DEFAULT, key)
        if (v !== undefined && c.where(DEFAULT, key).line !== undefined) return v
      }
      return this.#layers[0]?.get(DEFAULT, key) // paste defaults (here, __file__)
    }
    for (const c of [...this.#layers].reverse()) {
      if (!c.hasSection(group)) continue
      const v = c.get(group, key)
      if (v !== undefined && !inheritedFromDefault(c, group, key)) return v
    }
    return undefined
  }

  /** The `[DEFAULT]` values of every source merged, later sources winning. */
  defaults(): Record<string, string> {
    return Object.assign({}, ...this.#layers.map((c) => c.defaults()))
  }

  /**
   * `[DEFAULT]` plus the section's own keys across sources: what a backend
   * driver is handed as its configuration (cinder's per-backend
   * Configuration falls back to the global options). `[DEFAULT]` alone when
   * no source has the section.
   */
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

  /** Where `key` of `group` was set (or would be looked for), for error messages. */
  where(group: string, key: string): ConfigWhere {
    for (const c of [...this.#layers].reverse()) {
      if (group === DEFAULT ? c.get(DEFAULT, key) !== undefined : c.hasSection(group)) {
        return c.where(group, key)
      }
    }
    return this.#layers[0]?.where(group, key) ?? { section: group, key }
  }
}

/** configparser merges [DEFAULT] into every section; tell an inherited value by where it was set. */
function inheritedFromDefault(c: Config, section: string, key: string): boolean {
  if (c.get(DEFAULT, key) === undefined) return false
  const inDefault = c.where(DEFAULT, key)
  const inSection = c.where(section, key)
  return inSection.file === inDefault.file && inSection.line === inDefault.line
}
