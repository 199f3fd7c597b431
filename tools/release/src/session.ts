import { publicPackages, publishWorkspace, registryVersions } from './publish.ts'
import { type RegistryState, startRegistry } from './registry.ts'

/** The registry of this run with every public package published at its current version. */
export async function publishedRegistry(): Promise<RegistryState> {
  const state = await startRegistry()
  for (const p of publicPackages()) {
    if (!(await registryVersions(state, p.name)).includes(p.version)) {
      await publishWorkspace(state)
      break
    }
  }
  return state
}
