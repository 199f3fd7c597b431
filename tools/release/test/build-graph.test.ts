// Each package and app builds alone: `turbo run build --filter=<name>` plans
// the builds of that package and its runtime dependencies, nothing a test
// alone needs (another app, test-utils' consumers), and every script a build
// runs is one of its inputs.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { workspacePackages } from '../src/publish.ts'
import { ROOT } from '../src/registry.ts'

const all = new Map(workspacePackages().map((p) => [p.name, p]))

function runtimeClosure(name: string, seen = new Set<string>()): Set<string> {
  if (seen.has(name)) return seen
  seen.add(name)
  for (const dep of Object.keys(all.get(name)!.manifest.dependencies ?? {})) {
    if (all.has(dep)) runtimeClosure(dep, seen)
  }
  return seen
}

interface DryTask {
  taskId: string
  package: string
  command: string
  inputs: Record<string, string>
}

function dryBuild(name: string): DryTask[] {
  const r = spawnSync(
    join(ROOT, 'node_modules/.bin/turbo'),
    ['run', 'build', `--filter=${name}`, '--dry=json'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
    },
  )
  if (r.status !== 0) throw new Error(`turbo --dry=json failed: ${r.stderr}`)
  return (JSON.parse(r.stdout) as { tasks: DryTask[] }).tasks
}

describe('turbo run build --filter=<name> builds that and its runtime dependencies only', () => {
  for (const [name, pkg] of all) {
    const build = pkg.manifest.scripts?.build
    if (!build) continue
    it(name, () => {
      const tasks = dryBuild(name).filter((t) => t.command !== '<NONEXISTENT>')
      const want = [...runtimeClosure(name)].filter((n) => all.get(n)!.manifest.scripts?.build)
      expect(tasks.map((t) => t.package).sort()).toEqual(want.sort())

      const own = tasks.find((t) => t.package === name)!
      for (const m of build.matchAll(
        /(?:^|[;&|]\s*)(?:node|bash|sh)\s+([\w./-]+\.(?:mjs|cjs|js|ts|sh))/g,
      )) {
        expect(Object.keys(own.inputs), `${name}'s build runs ${m[1]}: an input`).toContain(m[1])
      }
    })
  }
})
