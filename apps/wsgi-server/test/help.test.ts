import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { BINARIES } from '../src/main.js'
import { runBin } from './helpers.js'

describe('--help', () => {
  it.each(Object.keys(BINARIES))('%s --help prints its usage and exits 0', async (bin) => {
    const r = await runBin(bin, ['--help'])
    expect(r).toMatchObject({ code: 0, signal: null })
    expect(r.stdout).toMatch(new RegExp(`^Usage: ${bin} CONF \\[once\\] \\[verbose\\]`))
    expect(r.stdout).toContain('--test-config')
  })

  it.each(Object.keys(BINARIES))('%s --version prints the app version and exits 0', async (bin) => {
    const { version } = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    )
    const r = await runBin(bin, ['--version'])
    expect([r.code, r.stdout, r.stderr]).toEqual([0, `${bin} ${version}\n`, ''])
  })

  it('a missing CONF is a usage error (exit 2)', async () => {
    const r = await runBin('swift-proxy-server', [])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('missing CONF')
  })
})
