// The module a ProcessLauncher worker imports: it builds this process's
// VolumeService from the JSON options the parent handed down (the same ones
// again when the worker is respawned, so it finds the same registry record).
import type { ServiceContext } from '@forklift/supervisor/launcher'
import { VolumeService, type VolumeServiceOptions } from './volume-service.js'

/** The ProcessLauncher service factory for one backend. */
export function createVolumeService(
  options: VolumeServiceOptions,
  context: ServiceContext,
): VolumeService {
  return new VolumeService(options, context.logger.child({ backend: options.backend }))
}
