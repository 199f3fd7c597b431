// A volume driver as a deployment writes one: a module exporting a factory
// that gets { backend, host, cluster, config, logger } and returns any of
// { doSetup, checkForSetupError, periodicTasks, stop } (each may be async).
import { access, constants, statfs } from 'node:fs/promises'

export function createDriver({ backend, config, logger }) {
  const dir = config.volume_dir
  const log = logger.child({ driver: 'bulk', volume_dir: dir })
  return {
    async doSetup() {
      if (!dir) throw new Error(`[${backend}] volume_dir is not set`)
    },
    async checkForSetupError() {
      await access(dir, constants.W_OK)
    },
    async periodicTasks() {
      const s = await statfs(dir)
      const usedPercent = Math.round((1 - s.bavail / s.blocks) * 1000) / 10
      log.info({ volume_backend_name: config.volume_backend_name, usedPercent }, 'capacity')
    },
  }
}
