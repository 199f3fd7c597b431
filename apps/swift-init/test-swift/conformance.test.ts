// `pnpm test:swift`: our swift-init against the real Python swift-init
// (Swift 2.30.1's Manager from Debian's python3-swift; upstream's
// bin/swift-init itself with FORKLIFT_SWIFT_INIT=<path>), class by class.
// Each class is one test; a mismatch is retried once (both sides) before it
// counts, as a stop that races a process's exit can word a pid file either
// way on either side.
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '@forklift/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP } from '../test/_helpers.js'
import { DELIBERATE } from './conformance/deliberate.js'
import { compare, type Outcome, report, type Scenario } from './conformance/harness.js'
import { Sandbox } from './conformance/sandbox.js'
import {
  configNumberScenarios,
  deliberateScenarios,
  foregroundScenarios,
  nameScenarios,
  pythonServerScenarios,
  startScenarios,
  stateScenarios,
  usageScenarios,
} from './conformance/scenarios.js'
import { hasPythonSwift, ourSwiftInit, pythonSwiftInit, type Tool } from './conformance/tools.js'

const PY = hasPythonSwift()
const DEBIAN_SERVERS = (() => {
  try {
    readFileSync('/usr/bin/swift-object-server')
    return true
  } catch {
    return false
  }
})()
if (!PY) {
  console.warn(
    "test:swift: conformance skipped — no /usr/bin/python3 with Debian's swift (run `pnpm test:swift` as root to install it)",
  )
}

// In CI the Python side must be there (scripts/ensure-swift.sh installs it): no silent skip.
it.runIf(!PY && process.env.CI)("Debian's python3-swift is installed (CI)", () => {
  throw new Error(
    "CI: /usr/bin/python3 cannot import swift.common.manager; ensure-swift.sh did not install Debian's python3-swift",
  )
})

const CLASSES: [string, () => Scenario[]][] = [
  ['usage errors, help, too few arguments, unknown commands', usageScenarios],
  ['server names, aliases and globs', nameScenarios],
  ['each command in each pid-file state, with -v', stateScenarios],
  ['-c N and named configs', configNumberScenarios],
  ['starting and stopping: failures, warnings, strictness, -k, -g', startScenarios],
  ['no-daemon, -n and Ctrl-C', foregroundScenarios],
  ['the deliberate differences', deliberateScenarios],
]

// FORKLIFT_CONFORMANCE_ONLY=<text>: only the scenarios whose id contains it (to debug one).
// FORKLIFT_CONFORMANCE_TRANSCRIPTS=<file>: every scenario's transcripts appended to it.
// FORKLIFT_CONFORMANCE_OURS=<bin/swift-init.mjs>: another build of ours (an older one, say).
// FORKLIFT_CONFORMANCE_LOG=1: each scenario and command on stderr as it runs.
const ONLY = process.env.FORKLIFT_CONFORMANCE_ONLY
const TRANSCRIPTS = process.env.FORKLIFT_CONFORMANCE_TRANSCRIPTS

async function judge(scenarios: Scenario[], ours: Tool, python: Tool): Promise<Outcome[]> {
  const outcomes: Outcome[] = []
  for (const s of scenarios) {
    if (ONLY && !s.id.includes(ONLY)) continue
    if (process.env.FORKLIFT_CONFORMANCE_LOG) console.error(`conformance: ${s.id}`)
    let o = await compare(s, ours, python, () => new Sandbox(), DELIBERATE)
    if (!o.ok) o = await compare(s, ours, python, () => new Sandbox(), DELIBERATE)
    outcomes.push(o)
    if (TRANSCRIPTS) {
      const same = o.deliberate ? `deliberate: ${o.deliberate.name}` : o.ok ? 'same' : 'DIFFERENT'
      appendFileSync(
        TRANSCRIPTS,
        `### ${s.cls} / ${s.id} (${same})\n--- python\n${o.python}\n${o.ok && !o.deliberate ? '' : `--- ours\n${o.ours}\n`}\n`,
      )
    }
  }
  return outcomes
}

describe.skipIf(!PY)('swift-init conformance with Python swift-init 2.30.1', () => {
  let python: Tool
  const ours = ourSwiftInit(process.env.FORKLIFT_CONFORMANCE_OURS || undefined)
  beforeAll(() => {
    python = pythonSwiftInit()
  })
  afterAll(() => python?.close())

  for (const [cls, scenarios] of CLASSES) {
    it(cls, async () => {
      const list = scenarios()
      const outcomes = await judge(list, ours, python)
      expect(report(outcomes)).toBe('')
      if (!ONLY) expect(outcomes.length).toBe(list.length)
    }, 1_800_000)
  }

  it.skipIf(!DEBIAN_SERVERS)(
    "Debian's Python servers, driven by both",
    async () => {
      const outcomes = await judge(pythonServerScenarios(), ours, python)
      expect(report(outcomes)).toBe('')
    },
    600_000,
  )

  it('detects a difference planted in our swift-init', async () => {
    // A copy of our built binary with two of its words changed.
    const copy = tempDir('fl-planted-')
    // The bundle holds everything but its native-addon package
    // (@forklift/posix), which it finds in the app's node_modules, as an
    // installed copy does; the bin's launcher part (the Node check) imports a
    // workspace package, so the copy gets a plain entry instead.
    cpSync(join(APP, 'dist', 'bundle'), join(copy, 'dist', 'bundle'), { recursive: true })
    symlinkSync(join(APP, 'node_modules'), join(copy, 'node_modules'))
    mkdirSync(join(copy, 'bin'))
    writeFileSync(join(copy, 'bin', 'swift-init.mjs'), "await import('../dist/bundle/cli.js')\n")
    writeFileSync(join(copy, 'package.json'), readFileSync(join(APP, 'package.json')))
    let planted = 0
    for (const name of readdirSync(join(copy, 'dist', 'bundle'))) {
      const file = join(copy, 'dist', 'bundle', name)
      const text = readFileSync(file, 'utf8')
      const changed = text
        .replace('appears to have stopped', 'seems to have stopped')
        .replace('no such option: ', 'unknown option: ')
      if (changed !== text) {
        writeFileSync(file, changed)
        planted++
      }
    }
    expect(planted).toBeGreaterThan(0)
    const picked = [
      ...usageScenarios().filter((s) => s.id === 'usage: ["--bogus"]' || s.id === 'usage: []'),
      ...stateScenarios().filter((s) => s.id === 'state running: object stop'),
    ]
    expect(picked.length).toBe(3)
    const outcomes = await judge(picked, ourSwiftInit(join(copy, 'bin', 'swift-init.mjs')), python)
    expect(outcomes.map((o) => [o.scenario.id, o.ok])).toEqual([
      ['usage: []', true],
      ['usage: ["--bogus"]', false],
      ['state running: object stop', false],
    ])
    const text = report(outcomes)
    expect(text).toContain('swift-init: error: unknown option: --bogus')
    expect(text).toContain(') seems to have stopped')
  }, 300_000)
})
