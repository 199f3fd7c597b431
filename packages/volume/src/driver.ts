import { resolveModuleUrl } from '@forklift/config/module-ref'
import type { MinimalLogger as Logger } from '@forklift/log'
import { VolumeError } from './errors.js'

/** What a driver factory is given: its backend's identity and its own config section. */
export interface VolumeDriverContext {
  backend: string
  /** `host@backend` (or `backend_host@backend`). */
  host: string
  cluster: string | null
  /** The backend's config section ([DEFAULT] + its own keys), all strings. */
  config: Record<string, string>
  logger: Logger
}

/**
 * A volume driver, cinder's VolumeDriver reduced to what a launcher needs.
 * Every method is optional and may be async.
 */
export interface VolumeDriver {
  /** cinder's do_setup: connect to the backend. */
  doSetup?(): unknown
  /** cinder's check_for_setup_error: verify the backend is usable. */
  checkForSetupError?(): unknown
  /** Runs every periodic_interval once the driver is initialised. */
  periodicTasks?(): unknown
  /** Called on stop. */
  stop?(): unknown
}

/**
 * A driver module's export: builds a driver for one backend. It declares
 * whether several hosts may run the same backend at once (cinder's
 * `SUPPORTS_ACTIVE_ACTIVE`) as a property of the function, so the launcher
 * can refuse a clustered backend before building anything:
 * `export const createDriver = Object.assign((ctx) => …, { supportsActiveActive: true })`.
 */
export type VolumeDriverFactory = ((
  context: VolumeDriverContext,
) => VolumeDriver | Promise<VolumeDriver>) & { supportsActiveActive?: boolean }

/** cinder's refusal of a cluster for a driver that cannot run active-active (cinder/volume/manager.py). */
export function activeActiveMessage(volumeDriver: string): string {
  return `Active-Active configuration is not currently supported by driver ${volumeDriver}.`
}

/** Throws E_DRIVER_ACTIVE_ACTIVE when `cluster` is set and the factory does not declare active-active support. */
export function checkActiveActive(
  factory: VolumeDriverFactory,
  volumeDriver: string,
  cluster: string | null | undefined,
): void {
  if (cluster && factory.supportsActiveActive !== true) {
    throw new VolumeError('E_DRIVER_ACTIVE_ACTIVE', activeActiveMessage(volumeDriver))
  }
}

/**
 * Loads `volume_driver`: `<module>#<export>`, like the pipeline's `use =`.
 * `./x.mjs#createDriver` and `/abs/x.mjs#f` are files (relative ones against
 * `baseDir`, the config file's directory); anything else is a package
 * specifier, resolved from `baseDir` first, then from forklift's own
 * dependencies. Without `#`, the export is `default`.
 */
export async function loadDriverFactory(
  ref: string,
  baseDir: string,
): Promise<VolumeDriverFactory> {
  const text = ref.trim()
  const hash = text.lastIndexOf('#')
  const specifier = hash >= 0 ? text.slice(0, hash) : text
  const exportName = hash >= 0 ? text.slice(hash + 1) : 'default'
  if (!specifier || !exportName) {
    throw new VolumeError(
      'E_DRIVER_LOAD',
      `bad volume_driver ${JSON.stringify(ref)}: expected <module>#<export>`,
    )
  }
  let mod: Record<string, unknown>
  try {
    const url = resolveModuleUrl(specifier, {
      baseDir,
      from: [baseDir],
      fallback: (s) => import.meta.resolve(s), // forklift's own dependencies
    })
    mod = await import(url)
  } catch (cause) {
    throw new VolumeError('E_DRIVER_LOAD', `cannot load volume_driver ${JSON.stringify(ref)}`, {
      cause,
    })
  }
  const factory = mod[exportName]
  if (typeof factory !== 'function') {
    throw new VolumeError(
      'E_DRIVER_LOAD',
      `volume_driver ${JSON.stringify(ref)}: module has no function export ${JSON.stringify(exportName)}`,
    )
  }
  return factory as VolumeDriverFactory
}
