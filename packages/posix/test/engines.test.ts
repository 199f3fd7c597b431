// The workspace's engines ranges (checked here because this package reads
// them at every start): none admits a Node that one of its runtime
// dependencies refuses, so a binary's one-line version check is the only
// place an old Node is stopped, before anything fails late.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { satisfiesNodeRange } from '../src/launch.js'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const IN_WORKSPACE = existsSync(join(ROOT, 'pnpm-workspace.yaml'))

interface Pkg {
  name: string
  engines?: { node?: string }
  dependencies?: Record<string, string>
}

function workspacePackages(): { dir: string; pkg: Pkg }[] {
  return ['packages', 'apps'].flatMap((group) =>
    readdirSync(join(ROOT, group))
      .map((d) => join(ROOT, group, d))
      .filter((dir) => existsSync(join(dir, 'package.json')))
      .map((dir) => ({
        dir,
        pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Pkg,
      })),
  )
}

// Every x.y.z a range boundary could sit on, for the Node lines in use.
const PROBES = Array.from({ length: 8 }, (_, i) => 20 + i).flatMap((major) =>
  Array.from({ length: 31 }, (_, minor) =>
    Array.from({ length: 13 }, (_, patch) => `${major}.${minor}.${patch}`),
  ).flat(),
)

describe.skipIf(!IN_WORKSPACE)('engines of the workspace', () => {
  it('every package states one, and admits no Node a runtime dependency refuses', () => {
    const problems: string[] = []
    for (const { dir, pkg } of workspacePackages()) {
      const range = pkg.engines?.node
      if (!range) {
        problems.push(`${pkg.name}: no engines.node`)
        continue
      }
      const require = createRequire(join(dir, 'package.json'))
      for (const dep of Object.keys(pkg.dependencies ?? {})) {
        // Not every package exports ./package.json: look where Node would.
        const file = (require.resolve.paths(dep) ?? [])
          .map((p) => join(p, dep, 'package.json'))
          .find((f) => existsSync(f))
        if (!file) {
          problems.push(`${pkg.name}: cannot find ${dep}`)
          continue
        }
        const depRange = (JSON.parse(readFileSync(file, 'utf8')) as Pkg).engines?.node
        if (!depRange) continue
        const bad = PROBES.find(
          (v) => satisfiesNodeRange(v, range) && !satisfiesNodeRange(v, depRange),
        )
        if (bad)
          problems.push(`${pkg.name} (${range}) admits ${bad}, which ${dep} (${depRange}) refuses`)
      }
    }
    expect(problems).toEqual([])
  })

  it('the Node the workspace runs on satisfies every package', () => {
    for (const { pkg } of workspacePackages()) {
      expect([pkg.name, satisfiesNodeRange(process.version, pkg.engines!.node!)]).toEqual([
        pkg.name,
        true,
      ])
    }
  })
})
