import { defineConfig } from 'vitest/config'

// `pnpm test:swift`: our server binaries driven by Python Swift's own manager (Debian's python3-swift).
export default defineConfig({
  test: {
    include: ['test-swift/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
})
