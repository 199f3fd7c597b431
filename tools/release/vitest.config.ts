import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // One local registry for the whole run (test/global-setup.ts); files in turn.
    fileParallelism: false,
    globalSetup: ['test/global-setup.ts'],
  },
})
