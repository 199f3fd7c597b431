// The release process: changesets are configured, `changeset status` works,
// and the dry run prints the version plan without touching the checkout.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { cleanEnv, publicPackages } from '../src/publish.ts'
import { NODE24, ROOT } from '../src/registry.ts'
import { pendingChangesets, versionPlan } from '../src/release.ts'

const CHANGESET = join(ROOT, 'node_modules/@changesets/cli/bin.js')

/**
 * How to ask changesets for the pending bumps: with no `--since` it lists every
 * changeset in the checkout, but it diffs against the config's `main`, which a
 * clone of another branch may not have; there it compares with `origin/main` and
 * lists only the changesets added since.
 */
function statusScope(): { args: string[]; expected: string[] } {
  const has = (ref: string) =>
    spawnSync('git', ['rev-parse', '--verify', '--quiet', ref], { cwd: ROOT }).status === 0
  if (has('main')) return { args: [], expected: pendingChangesets() }
  const base = has('origin/main') ? 'origin/main' : 'HEAD'
  const added = spawnSync('git', ['diff', '--name-only', base, '--', '.changeset'], {
    cwd: ROOT,
    encoding: 'utf8',
  }).stdout
  const names = new Set(added.split('\n').map((f) => f.replace(/^\.changeset\//, '')))
  return { args: ['--since', base], expected: pendingChangesets().filter((f) => names.has(f)) }
}

it('changeset status runs and lists the pending bumps', () => {
  const scope = statusScope()
  const r = spawnSync(NODE24, [CHANGESET, 'status', '--verbose', ...scope.args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: cleanEnv(),
  })
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(0)
  for (const file of scope.expected) expect(r.stdout).toContain(`.changeset/${file}`)
  if (scope.expected.length > 0) expect(r.stdout).toMatch(/@forklift\//)
})

it('the dry run plans versions and changelog entries for the pending changesets, and changes nothing', () => {
  const before = publicPackages().map((p) =>
    readFileSync(join(ROOT, p.dir, 'package.json'), 'utf8'),
  )
  const plan = versionPlan()
  expect(
    publicPackages().map((p) => readFileSync(join(ROOT, p.dir, 'package.json'), 'utf8')),
  ).toEqual(before)
  const names = new Set(plan.map((p) => p.name))
  for (const file of pendingChangesets()) {
    const front = readFileSync(join(ROOT, '.changeset', file), 'utf8').split('---')[1] ?? ''
    for (const m of front.matchAll(/['"]?(@forklift\/[\w-]+)['"]?:\s*(major|minor|patch)/g)) {
      expect(names, `${file} bumps ${m[1]}`).toContain(m[1])
    }
  }
  for (const p of plan) {
    expect(p.to, p.name).not.toBe(p.from)
    expect(p.changelog, p.name).toMatch(new RegExp(`^## ${p.to.replaceAll('.', '\\.')}\\n`))
  }
  for (const p of plan) expect(publicPackages().map((q) => q.name)).toContain(p.name)
})

it('pnpm release:dry-run prints the plan', () => {
  const r = spawnSync(NODE24, [join(ROOT, 'tools/release/src/release.ts'), '--dry-run'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: cleanEnv(),
  })
  expect(r.status, r.stderr).toBe(0)
  expect(r.stdout).toMatch(pendingChangesets().length > 0 ? /Version plan/ : /Nothing to version/)
})
