import { ForkliftError } from '@forklift/errors'

/** Stable codes of registry errors. */
export type RegistryErrorCode =
  | 'E_REGISTRY_URL'
  | 'E_REGISTRY_CONNECT'
  | 'E_REGISTRY_QUERY'
  | 'E_REGISTRY_SCHEMA'
  | 'E_REGISTRY_NOT_FOUND'
  | 'E_REGISTRY_CLOSED'
  | 'E_DRIVER_LOAD'
  | 'E_DRIVER_START'

/** Any failure of the service registry or of a volume driver it runs. */
export class RegistryError extends ForkliftError<RegistryErrorCode> {
  override name = 'RegistryError'
}

/** Brand check that also works across module copies. */
export function isRegistryError(value: unknown): value is RegistryError {
  return value instanceof Error && value.name === 'RegistryError' && 'code' in value
}
