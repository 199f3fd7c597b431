import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { alive, killOnFinish, tempDir } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { fixture, startNode, waitUntil } from '../test/helpers.js'
import { currentParentPid } from './watchdog.js'

describe('exitWhenParentDies', () => {
  it('reads the live parent pid from /proc', () => {
    expect(currentParentPid()).toBe(process.ppid)
  })

  for (const mode of ['ipc', 'no-ipc'] as const) {
    it(`makes the child exit soon after its parent is SIGKILLed (${mode})`, async () => {
      const dir = tempDir()
      const marker = join(dir, 'hook-ran')
      const parent = startNode(fixture('watchdog-parent.mjs'), [mode, marker])
      const { child } = JSON.parse(await parent.line(/child/)) as { child: number }
      killOnFinish(child)
      expect(alive(child)).toBe(true)
      const t0 = performance.now()
      parent.child.kill('SIGKILL')
      await waitUntil(() => !alive(child), { timeoutMs: 2000, intervalMs: 2, what: 'child exit' })
      const ms = performance.now() - t0
      console.log(`watchdog (${mode}): child gone ${ms.toFixed(0)} ms after parent SIGKILL`)
      expect(existsSync(marker)).toBe(true)
    })
  }
})
