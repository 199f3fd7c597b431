export { installNodeScript, readJsonLines } from './files.js'
export { type BoundPort, boundSocket, freePort } from './net.js'
export { alive, childPids, killOnFinish, killOwned, procStat, waitGone } from './proc.js'
export { type FixtureEvent, FixtureSite } from './site.js'
export {
  collectOutput,
  type Exit,
  type Output,
  type Spawned,
  spawnCollect,
} from './spawn.js'
export { hasOpenssl, selfSignedCert } from './tls.js'
export { tempDir, tempFiles } from './tmp.js'
export { type Truthy, waitFor } from './wait.js'
