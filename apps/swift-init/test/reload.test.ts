// swift-reload's own words: --help, --version, its usage errors and the
// pids it refuses before signalling anything (the reload itself is tested
// against real servers in apps/wsgi-server/test/reload-outcome.test.ts).
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { killOnFinish } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { APP, collect } from './_helpers.js'

const BIN = join(APP, 'bin', 'swift-reload.mjs')

function swiftReload(...args: string[]) {
  return collect(
    killOnFinish(spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })),
  )
}

describe('swift-reload', () => {
  it('--help and --version', async () => {
    const help = await swiftReload('--help')
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('Usage: swift-reload [-h] [-t TIMEOUT | -w] [-v] pid')
    const { version } = JSON.parse(readFileSync(join(APP, 'package.json'), 'utf8'))
    const v = await swiftReload('--version')
    expect([v.code, v.stdout]).toEqual([0, `swift-reload ${version}\n`])
  })

  it.each([
    [[], 'expected one argument: pid'],
    [['abc'], "argument pid: invalid int value: 'abc'"],
    [['-t', 'soon', '1'], "argument -t/--timeout: invalid float value: 'soon'"],
    [['-t', '5', '-w', '1'], 'argument -w/--no-wait: not allowed with argument -t/--timeout'],
  ])('usage error %j: one line, exit 2', async (args, message) => {
    const r = await swiftReload(...args)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`swift-reload: ${message}`)
  })

  it('refuses a pid that is gone or no server with exit 2, signalling nothing', async () => {
    const gone = await swiftReload('999999999')
    expect([gone.code, gone.stderr]).toEqual([
      2,
      'Failed to get process information for 999999999\n',
    ])
    // A live process that is not a server: left alone (SIGUSR1 would kill sleep).
    const sleeper = killOnFinish(spawn('sleep', ['60'], { stdio: 'ignore' }))
    const r = await swiftReload(String(sleeper.pid))
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('Non-swift process: "sleep 60"\n')
    expect(sleeper.exitCode).toBeNull()
    expect(sleeper.signalCode).toBeNull()
  })
})
