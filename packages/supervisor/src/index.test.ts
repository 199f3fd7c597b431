import { describe, expect, it } from 'vitest'
import * as supervisor from './index.js'

describe('the barrel', () => {
  it('re-exports every concern', () => {
    for (const name of [
      'ForkRateLimiter',
      'exitWhenParentDies',
      'Service',
      'ServiceLauncher',
      'ProcessLauncher',
      'launch',
      'WorkerPool',
      'runPoolWorker',
      'SupervisorError',
    ]) {
      expect(supervisor, name).toHaveProperty(name)
    }
  })
})
