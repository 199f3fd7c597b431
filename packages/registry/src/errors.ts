import { ForkliftError, isForkliftError } from '@forklift/errors'

/** Stable codes of registry errors. */
export type RegistryErrorCode =
  | 'E_REGISTRY_URL'
  | 'E_REGISTRY_DRIVER'
  | 'E_REGISTRY_CONNECT'
  | 'E_REGISTRY_QUERY'
  | 'E_REGISTRY_SCHEMA'
  | 'E_REGISTRY_MOVED'
  | 'E_REGISTRY_CORRUPT'
  | 'E_REGISTRY_NOT_FOUND'
  | 'E_REGISTRY_CLUSTER_HAS_HOSTS'
  | 'E_REGISTRY_CLOSED'

/** Any failure of the service registry. */
export class RegistryError extends ForkliftError<RegistryErrorCode> {
  override name = 'RegistryError'
}

/** Brand check that also works across module copies. */
export function isRegistryError(value: unknown): value is RegistryError {
  return isForkliftError(value, 'RegistryError')
}
