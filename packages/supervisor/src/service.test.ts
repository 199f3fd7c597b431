import { describe, expect, it } from 'vitest'
import { waitUntil } from '../test/helpers.js'
import { isServiceBase, Service } from './service.js'

describe('Service', () => {
  it('runs timers without overlap until stopped, then wait() settles', async () => {
    const svc = new Service()
    await svc.start()
    let runs = 0
    let concurrent = 0
    let maxConcurrent = 0
    svc.addTimer(
      5,
      async () => {
        runs++
        concurrent++
        maxConcurrent = Math.max(maxConcurrent, concurrent)
        await new Promise((r) => setTimeout(r, 15))
        concurrent--
      },
      { initialDelayMs: 0 },
    )
    await waitUntil(() => runs >= 3, { what: 'three timer runs' })
    await svc.stop(true)
    const after = runs
    await svc.wait()
    await new Promise((r) => setTimeout(r, 40))
    expect(runs).toBe(after)
    expect(maxConcurrent).toBe(1)
    expect(svc.stopping).toBe(true)
    expect(svc.signal.aborted).toBe(true)
  })

  it('graceful stop awaits tasks in flight; reset makes it startable again', async () => {
    const svc = new Service()
    let finished = false
    void svc.addTask(async () => {
      await new Promise((r) => setTimeout(r, 30))
      finished = true
    })
    await svc.stop(true)
    expect(finished).toBe(true)
    await svc.reset()
    expect(svc.stopping).toBe(false)
    let settled = false
    void Promise.resolve(svc.wait()).then(() => {
      settled = true
    })
    await new Promise((r) => setTimeout(r, 10))
    expect(settled).toBe(false)
    await svc.stop()
    expect(settled).toBe(true)
  })

  it('keeps a timer going after an error unless stopOnError', async () => {
    const svc = new Service()
    let a = 0
    let b = 0
    svc.addTimer(1, () => {
      a++
      throw new Error('boom')
    })
    svc.addTimer(
      1,
      () => {
        b++
        throw new Error('boom')
      },
      { stopOnError: true },
    )
    await waitUntil(() => a >= 3, { what: 'three timer runs' })
    await svc.stop()
    expect(b).toBe(1)
  })

  it('isServiceBase checks the four methods', () => {
    expect(isServiceBase(new Service())).toBe(true)
    expect(isServiceBase({ start() {}, stop() {}, wait() {} })).toBe(false)
    expect(isServiceBase(null)).toBe(false)
  })
})
