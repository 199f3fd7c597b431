import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnCollect, tempDir } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import {
  launcherCommand,
  launcherHeader,
  launcherScript,
  nodeVersionError,
  satisfiesNodeRange,
} from '../src/launch.js'

// The machine's own Node (Debian's 20), older than any forklift needs.
const OLD_NODE = existsSync('/usr/bin/node') ? '/usr/bin/node' : undefined

/** A package with one bin (launcherHeader + a module body) in a temp dir. */
function program(range: string, body: string) {
  const dir = tempDir('fl-launch-')
  mkdirSync(join(dir, 'bin'))
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'p', type: 'module', engines: { node: range } }, null, 2)}\n`,
  )
  const bin = join(dir, 'bin', 'prog')
  writeFileSync(bin, launcherHeader() + body, { mode: 0o755 })
  return { dir, bin }
}

const REPORT = `import { readFileSync } from 'node:fs'
const status = readFileSync('/proc/self/status', 'utf8')
console.log(JSON.stringify({
  pid: process.pid,
  execPath: process.execPath,
  execArgv: process.execArgv,
  args: process.argv.slice(2),
  sigBlk: /SigBlk:\\s*(\\S+)/.exec(status)[1],
}))
`

describe('satisfiesNodeRange', () => {
  it('reads the engines ranges forklift uses', () => {
    const cases: [string, string, boolean][] = [
      ['24.21.0', '>=24.19', true],
      ['v24.18.1', '>=24.19', false],
      ['22.22.2', '^22.22.2 || >=24.15', true],
      ['22.22.1', '^22.22.2 || >=24.15', false],
      ['23.11.0', '^22.22.2 || >=24.15', false],
      ['24.14.0', '^22.22.2 || >=24.15', false],
      ['24.15.0', '^22.22.2 || >=24.15', true],
      ['26.0.0', '^22.22.2 || >=24.15', true],
      ['22.14.0', '^22.14 || >=23.7', true],
      ['23.6.1', '^22.14 || >=23.7', false],
      ['20.20.2', '>=22.12', false],
      ['22.12.5', '~22.12.1', true],
      ['22.13.0', '~22.12.1', false],
      ['22.12.0', '>=22 <23', true],
      ['22.12.0', 'nonsense', false],
      ['16.0.0', '>= 16.0.0', true],
      ['9.0.0', '>= 10.x', false],
    ]
    for (const [v, range, ok] of cases)
      expect([v, range, satisfiesNodeRange(v, range)]).toEqual([v, range, ok])
  })

  it('words the one-line error with the range and the Node found', () => {
    expect(nodeVersionError('x', '>=24.19', 'v24.21.0')).toBeUndefined()
    expect(nodeVersionError('forklift-volume', '>=24.19', 'v20.20.2')).toBe(
      `forklift-volume: needs Node >=24.19 (this is v20.20.2, ${process.execPath}); set FORKLIFT_NODE to a newer node`,
    )
  })
})

describe('launcherHeader', () => {
  it('is a shell script and an ES module at once, with one comment close', () => {
    const header = launcherHeader()
    expect(header.startsWith("#!/bin/sh\n':' /*; trap '' USR1;")).toBe(true)
    expect(header.split('*/')).toHaveLength(2)
    expect(header.endsWith('*/\n')).toBe(true)
  })

  it('execs Node (same pid) with --disable-sigusr1 and SIGUSR1 blocked, passing the arguments', async () => {
    const { bin } = program('>=22.14', REPORT)
    const p = spawnCollect(bin, ['a b', '--flag'], {
      env: { ...process.env, FORKLIFT_NODE: process.execPath },
    })
    expect(await p.closed).toEqual({ code: 0, signal: null })
    const r = JSON.parse(p.stdout())
    expect(r).toMatchObject({
      pid: p.child.pid,
      execPath: process.execPath,
      execArgv: ['--disable-sigusr1'],
      args: ['a b', '--flag'],
    })
    expect(BigInt(`0x${r.sigBlk}`) & (1n << 9n)).toBe(1n << 9n)
    expect(readFileSync(bin, 'utf8')).toContain(REPORT)
  })

  it('skips pnpm’s non-exec node wrapper on PATH for the real binary beside it', async () => {
    const { bin } = program('>=22.14', REPORT)
    const root = tempDir('fl-pnpm-')
    mkdirSync(join(root, 'node_modules', '.bin'), { recursive: true })
    mkdirSync(join(root, 'node_modules', 'node', 'bin'), { recursive: true })
    symlinkSync(process.execPath, join(root, 'node_modules', 'node', 'bin', 'node'))
    // What pnpm writes: runs node as a child, so a signal to its pid never reaches node.
    writeFileSync(
      join(root, 'node_modules', '.bin', 'node'),
      `#!/bin/sh\n"$(dirname "$0")/../node/bin/node" "$@"\nexit $?\n`,
      { mode: 0o755 },
    )
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${root}/node_modules/.bin:/usr/bin:/bin`,
    }
    delete env.FORKLIFT_NODE
    const p = spawnCollect(bin, [], { env })
    expect(await p.closed).toEqual({ code: 0, signal: null })
    expect(JSON.parse(p.stdout())).toMatchObject({
      pid: p.child.pid,
      execArgv: ['--disable-sigusr1'],
    })
  })

  it.skipIf(!OLD_NODE)(
    'on an old Node prints one line naming the engines range and exits 1',
    async () => {
      const { bin } = program('^22.22.2 || >=24.15', REPORT)
      const p = spawnCollect(bin, ['--help'], { env: { ...process.env, FORKLIFT_NODE: OLD_NODE } })
      expect(await p.closed).toEqual({ code: 1, signal: null })
      expect(p.stdout()).toBe('')
      expect(p.stderr()).toMatch(
        /^prog: needs Node \^22\.22\.2 \|\| >=24\.15 \(found v20\.[\d.]+ at \/usr\/bin\/node\); set FORKLIFT_NODE to a newer node\n$/,
      )
    },
  )

  it('says so in one line when no node can be found', async () => {
    const { bin } = program('>=24.19', REPORT)
    const p = spawnCollect(bin, [], { env: { ...process.env, FORKLIFT_NODE: '/nonexistent/node' } })
    expect(await p.closed).toEqual({ code: 1, signal: null })
    expect(p.stderr()).toBe(
      'prog: needs Node >=24.19 (found none at /nonexistent/node); set FORKLIFT_NODE to a newer node\n',
    )
  })
})

describe('launcherScript', () => {
  it('runs a fixed Node on a script relative to itself, through a symlink too', async () => {
    const dir = tempDir('fl-launcher-')
    writeFileSync(join(dir, 'report.mjs'), REPORT)
    const launcher = join(dir, 'run')
    writeFileSync(
      launcher,
      launcherScript({ node: process.execPath, script: '$here/report.mjs' }),
      {
        mode: 0o755,
      },
    )
    const link = join(tempDir('fl-launcher-link-'), 'run-link')
    symlinkSync(launcher, link)
    const p = spawnCollect(link, ['x'], { env: { PATH: '/usr/bin:/bin' } })
    expect(await p.closed).toEqual({ code: 0, signal: null })
    expect(JSON.parse(p.stdout())).toMatchObject({
      pid: p.child.pid,
      execPath: process.execPath,
      execArgv: ['--disable-sigusr1'],
      args: ['x'],
    })
  })

  it.skipIf(!OLD_NODE)('names the package’s engines when its Node is too old', async () => {
    const dir = tempDir('fl-launcher-')
    writeFileSync(join(dir, 'package.json'), '{\n  "engines": {\n    "node": ">=24.19"\n  }\n}\n')
    const launcher = join(dir, 'run')
    writeFileSync(
      launcher,
      launcherScript({ node: OLD_NODE!, script: '$here/x.mjs', packageJson: '$here/package.json' }),
      { mode: 0o755 },
    )
    const p = spawnCollect(launcher, [])
    expect(await p.closed).toEqual({ code: 1, signal: null })
    expect(p.stderr()).toMatch(
      /^run: needs Node >=24\.19 \(found v20\.[\d.]+ at \/usr\/bin\/node\)/,
    )
  })
})

describe('launcherCommand', () => {
  /** A root with pnpm's layout: node_modules/.bin/node (a wrapper) and node_modules/node/bin/node. */
  function pnpmRoot(): string {
    const root = tempDir('fl-pnpm-')
    mkdirSync(join(root, 'node_modules', '.bin'), { recursive: true })
    mkdirSync(join(root, 'node_modules', 'node', 'bin'), { recursive: true })
    symlinkSync(process.execPath, join(root, 'node_modules', 'node', 'bin', 'node'))
    writeFileSync(
      join(root, 'node_modules', '.bin', 'node'),
      `#!/bin/sh\n"$(dirname "$0")/../node/bin/node" "$@"\nexit $?\n`,
      { mode: 0o755 },
    )
    return root
  }

  it('is the exec of the launcher: same process, --disable-sigusr1, SIGUSR1 blocked from exec on', async () => {
    const { bin } = program('>=22.14', REPORT)
    const env = { ...process.env, FORKLIFT_NODE: process.execPath }
    const command = launcherCommand(bin, env)
    expect(command).toEqual([
      'env',
      '--block-signal=USR1',
      process.execPath,
      '--disable-sigusr1',
      bin,
    ])
    const [file, ...args] = command!
    const p = spawnCollect(file!, [...args, 'a b'], { env })
    expect(await p.closed).toEqual({ code: 0, signal: null })
    const r = JSON.parse(p.stdout())
    expect(r).toMatchObject({ pid: p.child.pid, execArgv: ['--disable-sigusr1'], args: ['a b'] })
    expect(BigInt(`0x${r.sigBlk}`) & (1n << 9n)).toBe(1n << 9n)
  })

  it("chooses the launcher's Node: PATH's node by name, pnpm's wrapper → the real binary", () => {
    const { bin } = program('>=22.14', REPORT)
    const root = pnpmRoot()
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${root}/node_modules/.bin:/usr/bin:/bin`,
    }
    delete env.FORKLIFT_NODE
    expect(launcherCommand(bin, env)?.[2]).toBe(`${root}/node_modules/node/bin/node`)
    // A plain node on PATH stays the word `node`, for env to look up, as the launcher passes it.
    const plain = tempDir('fl-node-')
    symlinkSync(process.execPath, join(plain, 'node'))
    expect(launcherCommand(bin, { ...env, PATH: `${plain}:/usr/bin:/bin` })?.[2]).toBe('node')
  })

  it('is undefined where the launcher itself must run: not a launcher, an old or missing Node, no PATH', () => {
    const { dir, bin } = program('>=22.14', REPORT)
    const env = { ...process.env, FORKLIFT_NODE: process.execPath }
    const script = join(dir, 'bin', 'plain')
    // Only the exact header counts: a launcher that differs may do something else.
    writeFileSync(script, launcherHeader().replace("trap '' USR1", "trap '' USR2") + REPORT, {
      mode: 0o755,
    })
    expect(launcherCommand(script, env)).toBeUndefined()
    writeFileSync(script, '#!/bin/sh\nexec true\n', { mode: 0o755 })
    expect(launcherCommand(script, env)).toBeUndefined()
    expect(launcherCommand(join(dir, 'missing'), env)).toBeUndefined()
    expect(launcherCommand(bin, { ...env, FORKLIFT_NODE: '/nonexistent/node' })).toBeUndefined()
    if (OLD_NODE) expect(launcherCommand(bin, { ...env, FORKLIFT_NODE: OLD_NODE })).toBeUndefined()
    expect(launcherCommand(bin, { FORKLIFT_NODE: process.execPath })).toBeUndefined()
  })
})
