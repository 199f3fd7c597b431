import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  defineCommand,
  ExitError,
  formatHelp,
  packageVersion,
  runCommand,
  UsageError,
} from './index.js'

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

const py = defineCommand({
  name: 'tool',
  summary: 'a Python tool, reproduced',
  usage: 'tool <thing> [options]\n\nwhere:\n    <thing>  is a thing',
  syntax: 'optparse',
  allowPositionals: true,
  version: () => '9.9',
  options: {
    verbose: { type: 'boolean', short: 'v', description: 'display verbose output' },
    'no-wait': { type: 'boolean', short: 'w', description: "won't wait for it" },
    number: { type: 'integer', short: 'c', valueName: 'N', default: 0, description: 'the Nth' },
    'kill-wait': { type: 'integer', short: 'k', valueName: 'N', default: 15, description: 'wait' },
    'run-dir': {
      type: 'string',
      short: 'r',
      description: 'alternative directory to store running pid files default: /var/run/x',
    },
    strict: {
      type: 'boolean',
      description:
        'Return non-zero status code if some config is missing. Default mode if all servers are explicitly named.',
    },
    'non-strict': { type: 'boolean', negates: 'strict', description: 'the opposite' },
    'conf-dir': { type: 'string', valueName: 'DIR', extra: true, description: 'ours only' },
  },
  examples: ['tool thing'],
  run({ values, positionals, stdout }) {
    stdout.write(JSON.stringify({ values, positionals }))
    return 0
  },
})

describe('optparse syntax', () => {
  const usageErr = (msg: string) => `Usage: ${py.usage}\n\ntool: error: ${msg}\n`
  const parsed = async (...argv: string[]) => {
    const c = capture()
    expect(await runCommand(py, argv, c.io), c.err()).toBe(0)
    return JSON.parse(c.out())
  }

  it('reads options left to right: grouped shorts, attached values, abbreviations, --', async () => {
    expect(await parsed('a', '-vc2', '--kill=3', 'b', '--run', 'x', '--', '-v')).toEqual({
      values: { number: 2, 'kill-wait': 3, verbose: true, 'run-dir': 'x' },
      positionals: ['a', 'b', '-v'],
    })
    // Python's int(): 0x hex, 0b binary, leading 0 octal, underscores, spaces, signs.
    for (const [text, n] of [
      ['0x1f', 31],
      ['0b101', 5],
      ['010', 8],
      ['1_000', 1000],
      [' 7 ', 7],
      ['-1', -1],
      ['0o17', 15],
    ] as const) {
      expect((await parsed('-c', text)).values.number, text).toBe(n)
    }
    // The last of an option and its negation wins.
    expect((await parsed('--strict', '--non-strict')).values.strict).toBe(false)
    expect((await parsed('--non', '--str')).values.strict).toBe(true)
  })

  it("errors in optparse's words: the usage, then '<name>: error: …' on stderr, exit 2", async () => {
    for (const [argv, msg] of [
      [['--bogus'], 'no such option: --bogus'],
      [['-vx'], 'no such option: -x'],
      [['-c', 'abc'], "option -c: invalid integer value: 'abc'"],
      [['--number=08'], "option --number: invalid integer value: '08'"],
      [['-c', "it's"], `option -c: invalid integer value: "it's"`],
      [['-c'], '-c option requires 1 argument'],
      [['--kill'], '--kill-wait option requires 1 argument'],
      [['--verb=1'], '--verbose option does not take a value'],
      [['--n'], 'ambiguous option: --n (--no-wait, --non-strict, --number?)'],
      // An extra option is never a completion: `--con` is not --conf-dir.
      [['--con'], 'no such option: --con'],
      [['--bogus', '--help'], 'no such option: --bogus'],
    ] as const) {
      const c = capture()
      expect(await runCommand(py, argv, c.io), argv.join(' ')).toBe(2)
      expect(c.err(), argv.join(' ')).toBe(usageErr(msg))
      expect(c.out()).toBe('')
    }
  })

  it('-h acts where it stands; --version only in full', async () => {
    const c = capture()
    expect(await runCommand(py, ['--help', '--bogus'], c.io)).toBe(0)
    expect(c.out()).toBe(formatHelp(py))
    const v = capture()
    expect(await runCommand(py, ['x', '--version'], v.io)).toBe(0)
    expect(v.out()).toBe('tool 9.9\n')
  })

  it('lays the help out as optparse: two columns at 24, wrapped at COLUMNS - 2; extras last', () => {
    expect(formatHelp(py, { extras: false })).toBe(`Usage: ${py.usage}

Options:
  -h, --help            show this help message and exit
  -v, --verbose         display verbose output
  -w, --no-wait         won't wait for it
  -c N, --number=N      the Nth
  -k N, --kill-wait=N   wait
  -r RUN_DIR, --run-dir=RUN_DIR
                        alternative directory to store running pid files
                        default: /var/run/x
  --strict              Return non-zero status code if some config is missing.
                        Default mode if all servers are explicitly named.
  --non-strict          the opposite
`)
    const full = formatHelp(py)
    expect(full).toContain(
      "  --non-strict          the opposite\n  --conf-dir=DIR        ours only\n  --version             show program's version number and exit\n\nExamples:\n  tool thing\n",
    )
    expect(formatHelp(py, { extras: false, env: { COLUMNS: '60' } })).toContain(
      '  --strict              Return non-zero status code if\n                        some config is missing. Default\n                        mode if all servers are explicitly\n                        named.\n',
    )
  })
})

describe('integer options and negation under the default syntax', () => {
  const cmd = defineCommand({
    name: 'x',
    summary: 's',
    usage: 'x',
    options: {
      count: { type: 'integer', short: 'n', default: 1, description: 'how many' },
      fast: { type: 'boolean', description: 'fast' },
      slow: { type: 'boolean', negates: 'fast', description: 'slow' },
    },
    run: ({ values, stdout }) => {
      stdout.write(JSON.stringify(values))
      return 0
    },
  })
  it('converts, defaults, rejects with the option named; the last of fast/slow wins', async () => {
    let c = capture()
    expect(await runCommand(cmd, ['-n', '3', '--fast', '--slow'], c.io)).toBe(0)
    expect(JSON.parse(c.out())).toEqual({ count: 3, fast: false })
    c = capture()
    expect(await runCommand(cmd, [], c.io)).toBe(0)
    expect(JSON.parse(c.out())).toEqual({ count: 1 })
    c = capture()
    expect(await runCommand(cmd, ['-n', 'many'], c.io)).toBe(2)
    expect(c.err()).toBe(
      "x: option -n: invalid integer value: 'many'\nTry 'x --help' for more information.\n",
    )
  })
})

describe('packageVersion', () => {
  it("reads the nearest package.json's version above a module", () => {
    expect(packageVersion(import.meta.url)).toBe(
      JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version,
    )
    expect(packageVersion('file:///no/such/dir/x.js')).toBe('unknown')
  })
})
