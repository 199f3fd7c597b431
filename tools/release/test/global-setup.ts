// One local registry per test run: whatever an earlier run left is stopped
// first (its packages may be stale builds), the registry starts on first use
// (src/session.ts) and stops when the run ends, even after failures.
import { stopRegistry } from '../src/registry.ts'

export async function setup(): Promise<void> {
  await stopRegistry()
}

export async function teardown(): Promise<void> {
  await stopRegistry()
}
