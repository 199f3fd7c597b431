import { defineConfig } from 'vitest/config'

// `pnpm test:swift`: the opt-in test against Debian's real Swift servers.
export default defineConfig({
  test: {
    include: ['test-swift/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
})
