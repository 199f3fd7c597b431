// Adds up the per-package vitest summaries that turbo printed into one line.
import { readFileSync } from 'node:fs'

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI colour codes
const text = readFileSync(process.argv[2], 'utf8').replace(/\x1b\[[0-9;]*m/g, '')
const totals = { passed: 0, failed: 0, skipped: 0, packages: 0 }
for (const line of text.split('\n')) {
  const m = /:test(?::swift)?:\s+Tests\s+(.*)\(\d+\)\s*$/.exec(line)
  if (!m) continue
  totals.packages++
  for (const [, n, what] of m[1].matchAll(/(\d+) (passed|failed|skipped)/g))
    totals[what] += Number(n)
}
console.log(`\nforklift: ${totals.packages} test runs`)
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
