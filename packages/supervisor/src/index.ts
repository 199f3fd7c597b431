// The package's barrel re-exports each concern; prefer the subpath imports
// (`@forklift/supervisor/worker-pool`, `/launcher`, `/notify`, ...).
export {}
