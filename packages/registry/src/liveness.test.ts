import { describe, expect, it } from 'vitest'
import { effectiveServiceDownTime, isServiceUp } from './liveness.js'

describe('liveness', () => {
  it('is up while the last heartbeat is within service_down_time, down otherwise or never', () => {
    const now = new Date('2026-01-01T00:01:00Z')
    expect(isServiceUp(new Date('2026-01-01T00:00:00Z'), now, 60)).toBe(true)
    expect(isServiceUp(new Date('2025-12-31T23:59:59.999Z'), now, 60)).toBe(false)
    expect(isServiceUp(null, now, 60)).toBe(false)
  })

  it('raises service_down_time to 2.5 x report_interval when not above it, as cinder does', () => {
    const warnings: unknown[] = []
    const logger = { warn: (...a: unknown[]) => warnings.push(a) } as never
    expect(effectiveServiceDownTime(10, 60, logger)).toBe(60)
    expect(warnings).toHaveLength(0)
    expect(effectiveServiceDownTime(10, 10, logger)).toBe(25)
    expect(effectiveServiceDownTime(0.2, 0.1, logger)).toBeCloseTo(0.5)
    expect(warnings).toHaveLength(2)
  })
})
