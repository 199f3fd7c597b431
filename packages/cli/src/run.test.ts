import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { defineCommand, ExitError, formatHelp, runCommand, UsageError } from './index.js'

function capture() {
  const out: string[] = []
  const err: string[] = []
  return {
    io: {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s) },
      env: {},
    },
    out: () => out.join(''),
    err: () => err.join(''),
  }
}

const init = defineCommand({
  name: 'swift-init',
  summary: 'Manage swift servers.',
  usage: 'swift-init <server>... <command> [options]',
  allowPositionals: true,
  usageExitCode: 1,
  options: {
    verbose: { type: 'boolean', short: 'v', description: 'display verbose output' },
    'config-num': {
      type: 'string',
      short: 'c',
      valueName: 'N',
      description: 'send command to the Nth server only',
    },
    'kill-wait': {
      type: 'string',
      short: 'k',
      valueName: 'N',
      default: '15',
      description: 'wait N seconds for processes to die',
    },
    'no-daemon': { type: 'boolean', short: 'n', description: 'start server interactively' },
    secret: { type: 'boolean', hidden: true, description: 'not shown' },
  },
  sections: [{ title: 'Commands', body: '  start   starts a server\n  stop    stops a server' }],
  examples: ['swift-init main start'],
  run({ values, positionals, stdout }) {
    stdout.write(JSON.stringify({ values, positionals }))
    if (positionals.includes('usage')) throw new UsageError('specify server(s) and command')
    return positionals.includes('fail') ? 1 : undefined
  },
})

describe('runCommand', () => {
  it('parses long, short, defaulted and dashed options with positionals', async () => {
    const c = capture()
    const status = await runCommand(init, ['object', 'start', '-v', '-c', '2', '--no-daemon'], c.io)
    expect(status).toBe(0)
    expect(JSON.parse(c.out())).toEqual({
      values: { verbose: true, 'config-num': '2', 'kill-wait': '15', 'no-daemon': true },
      positionals: ['object', 'start'],
    })
  })

  it('returns the status the command returns', async () => {
    expect(await runCommand(init, ['fail'], capture().io)).toBe(1)
  })

  it('prints help for --help and -h anywhere before --, exit 0, without running', async () => {
    for (const argv of [['--help'], ['main', 'start', '-h'], ['--bogus', '--help']]) {
      const c = capture()
      expect(await runCommand(init, argv, c.io)).toBe(0)
      expect(c.out()).toBe(formatHelp(init))
      expect(c.out()).not.toContain('"values"')
    }
  })

  it('reports an unknown option as a one-line usage error with the command exit status', async () => {
    const c = capture()
    expect(await runCommand(init, ['--bogus'], c.io)).toBe(1)
    expect(c.err()).toBe(
      "swift-init: Unknown option '--bogus'\nTry 'swift-init --help' for more information.\n",
    )
  })

  it('reports a missing option value', async () => {
    const c = capture()
    expect(await runCommand(init, ['start', '-c'], c.io)).toBe(1)
    expect(c.err()).toMatch(/^swift-init: Option '-c, --config-num <value>' argument missing/)
  })

  it('maps a UsageError thrown by run to the usage exit status (default 2)', async () => {
    const c = capture()
    expect(await runCommand(init, ['usage'], c.io)).toBe(1)
    expect(c.err()).toContain('swift-init: specify server(s) and command\n')
    const plain = defineCommand({
      name: 'x',
      summary: 's',
      usage: 'x',
      options: {},
      run: () => {
        throw new UsageError('nope')
      },
    })
    expect(await runCommand(plain, [], capture().io)).toBe(2)
  })

  it('maps ExitError to its status and message', async () => {
    const cmd = defineCommand({
      name: 'x',
      summary: 's',
      usage: 'x',
      options: {},
      run: () => {
        throw new ExitError(4, 'No proxy-server running')
      },
    })
    const c = capture()
    expect(await runCommand(cmd, [], c.io)).toBe(4)
    expect(c.err()).toBe('No proxy-server running\n')
  })

  it('rejects positionals when the command takes none', async () => {
    const cmd = defineCommand({ name: 'x', summary: 's', usage: 'x', options: {}, run: () => 0 })
    const c = capture()
    expect(await runCommand(cmd, ['extra'], c.io)).toBe(2)
    expect(c.err()).toMatch(/^x: Unexpected argument 'extra'/)
  })
})

describe('formatHelp', () => {
  it('lists usage, options with placeholders and defaults, sections and examples; hides hidden options', () => {
    const help = formatHelp(init)
    expect(help).toMatch(
      /^Usage: swift-init <server>\.\.\. <command> \[options\]\n\nManage swift servers\.\n/,
    )
    expect(help).toContain('-c, --config-num N')
    expect(help).toContain('wait N seconds for processes to die (default: 15)')
    expect(help).toContain('-h, --help')
    expect(help).toContain('Commands:\n  start   starts a server')
    expect(help).toContain('Examples:\n  swift-init main start')
    expect(help).not.toContain('--secret')
  })
})

describe('defineCommand', () => {
  it('refuses options that clash with --help or have long short names', () => {
    const bad = { type: 'boolean' as const, short: 'h', description: 'x' }
    expect(() =>
      defineCommand({ name: 'x', summary: 's', usage: 'x', options: { host: bad }, run: () => 0 }),
    ).toThrow(/clashes with the built-in --help/)
    const long = { type: 'boolean' as const, short: 'ab', description: 'x' }
    expect(() =>
      defineCommand({ name: 'x', summary: 's', usage: 'x', options: { a: long }, run: () => 0 }),
    ).toThrow(/must be one character/)
  })
})

describe('runMain in a real process', () => {
  const bin = fileURLToPath(new URL('../test/fixtures/greet.mjs', import.meta.url))
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [bin, ...args], {
      encoding: 'utf8',
      timeout: 20_000,
      maxBuffer: 64 << 20,
    })

  it('exits 0 with the output', () => {
    const r = run('-l', '-n', '2', 'world')
    expect([r.status, r.signal]).toEqual([0, null])
    expect(r.stdout).toBe('HELLO WORLD\nHELLO WORLD\n')
  })

  it('prints --version', () => {
    expect(run('--version').stdout).toBe('greet 1.2.3\n')
  })

  it('exits 2 on a usage error, 1 on a ForkliftError, the ExitError status, 1 with a stack on a crash', () => {
    const usage = run('--nope')
    expect(usage.status).toBe(2)
    expect(usage.stderr).toContain("greet: Unknown option '--nope'")
    const fail = run('fail')
    expect([fail.status, fail.stderr]).toEqual([1, 'greet: cannot greet fail\n'])
    expect(run('exit3').status).toBe(3)
    const crash = run('crash')
    expect(crash.status).toBe(1)
    expect(crash.stderr).toMatch(/^greet: unexpected error: Error: boom\n\s+at /)
  })

  it('does not cut long output short when stdout is a pipe', () => {
    const r = run('many')
    expect(r.status).toBe(0)
    expect(r.stdout.split('\n')).toHaveLength(20001)
  })
})
