import { statfs } from 'node:fs/promises'
import type { VolumeDriver, VolumeDriverContext } from './driver.js'

/**
 * The sample volume driver: its "backend" is a directory (`volume_dir`, default
 * the state path), and its periodic task logs that filesystem's free space,
 * as a real driver's _update_volume_stats would report capacity.
 */
export function createDriver(context: VolumeDriverContext): VolumeDriver {
  const dir = context.config.volume_dir || context.config.state_path || '/var/lib/forklift'
  const backendName = context.config.volume_backend_name || context.backend
  const log = context.logger.child({ driver: 'sample', volume_dir: dir })
  const stats = async () => {
    const s = await statfs(dir)
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize }
  }
  return {
    async doSetup() {
      await stats() // fails (ENOENT, EACCES) when the directory is unusable
    },
    async periodicTasks() {
      const { freeBytes, totalBytes } = await stats()
      const freeGb = Math.round((freeBytes / 2 ** 30) * 100) / 100
      log.info({ volume_backend_name: backendName, freeBytes, totalBytes, freeGb }, 'free space')
    },
  }
}
