// The package's barrel re-exports each concern; prefer the subpath imports
// (`@forklift/supervisor/worker-pool`, `/launcher`, `/notify`, ...).
export * from './child.js'
export * from './drain.js'
export * from './errors.js'
export * from './launcher.js'
export * from './protocol.js'
export * from './rate-limit.js'
export * from './service.js'
export * from './watchdog.js'
export * from './worker-pool.js'
