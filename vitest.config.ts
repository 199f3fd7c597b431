import { defineConfig } from 'vitest/config'

// One local watch over every package; CI runs each package's own `vitest run` through turbo.
export default defineConfig({
  test: { projects: ['packages/*', 'apps/*'] },
})
