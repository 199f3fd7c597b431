// `pnpm --filter @forklift/release-tools registry start|stop|status|publish`:
// the local registry by hand (the tests start and stop it themselves).
import { publishWorkspace } from './publish.ts'
import { registryStatus, startRegistry, stopRegistry } from './registry.ts'

const USAGE = 'usage: registry start | stop | status | publish'
const command = process.argv[2]
switch (command) {
  case 'start': {
    const state = await startRegistry()
    console.log(`local registry ${state.url} (pid ${state.pid}, storage ${state.dir})`)
    console.log(`use it: NPM_CONFIG_USERCONFIG=${state.npmrc}`)
    break
  }
  case 'status': {
    const state = await registryStatus()
    console.log(state ? `running: ${state.url} (pid ${state.pid})` : 'not running')
    process.exitCode = state ? 0 : 3
    break
  }
  case 'stop':
    console.log((await stopRegistry()) ? 'stopped' : 'not running')
    break
  case 'publish': {
    const state = await startRegistry()
    const published = await publishWorkspace(state)
    for (const p of published) console.log(`${p.name}@${p.version}`)
    console.log(`published ${published.length} packages to ${state.url}`)
    break
  }
  default:
    console.error(
      command ? `registry: unknown command ${JSON.stringify(command)}\n${USAGE}` : USAGE,
    )
    process.exitCode = 2
}
