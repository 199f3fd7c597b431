// `pnpm release`: a clean build of every package, the whole test suite (which
// publishes to a local registry and installs each package alone from it),
// then `changeset publish` to the registry npm is configured for.
// `pnpm release --dry-run` prints the version plan and changes nothing.
import { spawnSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cleanEnv, publicPackages, workspacePackages } from './publish.ts'
import { NODE24, ROOT } from './registry.ts'

const CHANGESET = join(ROOT, 'node_modules/@changesets/cli/bin.js')

function sh(cmd: string, args: string[], cwd = ROOT): void {
  console.log(`release: ${cmd} ${args.join(' ')}`)
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit', env: process.env })
  if (r.status !== 0) {
    console.error(
      `release: ${cmd} ${args.join(' ')} failed (${r.signal ?? r.status}); nothing was published`,
    )
    process.exit(1)
  }
}

/** The changesets waiting to be turned into versions. */
export function pendingChangesets(root = ROOT): string[] {
  return readdirSync(join(root, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md')
}

export interface PlannedRelease {
  name: string
  from: string
  to: string
  changelog: string
}

/**
 * What `changeset version` would do, done on a copy of the manifests and
 * changelogs in a temp dir: each package's next version and its new
 * CHANGELOG.md section. The checkout is not touched.
 */
export function versionPlan(root = ROOT): PlannedRelease[] {
  const copy = mkdtempSync(join(tmpdir(), 'forklift-version-plan-'))
  try {
    for (const f of ['package.json', 'pnpm-workspace.yaml']) cpSync(join(root, f), join(copy, f))
    cpSync(join(root, '.changeset'), join(copy, '.changeset'), { recursive: true })
    const before = new Map<string, { dir: string; version: string }>()
    for (const p of workspacePackages()) {
      mkdirSync(join(copy, p.dir), { recursive: true })
      cpSync(join(root, p.dir, 'package.json'), join(copy, p.dir, 'package.json'))
      const changelog = join(root, p.dir, 'CHANGELOG.md')
      if (existsSync(changelog)) cpSync(changelog, join(copy, p.dir, 'CHANGELOG.md'))
      before.set(p.name, { dir: p.dir, version: p.version })
    }
    const r = spawnSync(NODE24, [CHANGESET, 'version'], {
      cwd: copy,
      encoding: 'utf8',
      env: cleanEnv(),
    })
    if (r.status !== 0) throw new Error(`changeset version failed:\n${r.stdout}\n${r.stderr}`)
    const plan: PlannedRelease[] = []
    for (const [name, { dir, version }] of before) {
      const next = JSON.parse(readFileSync(join(copy, dir, 'package.json'), 'utf8'))
        .version as string
      if (next === version) continue
      const text = readFileSync(join(copy, dir, 'CHANGELOG.md'), 'utf8')
      const section = text
        .slice(text.indexOf(`## ${next}`))
        .split(/\n## /)[0]!
        .trim()
      plan.push({ name, from: version, to: next, changelog: section })
    }
    return plan
  } finally {
    rmSync(copy, { recursive: true, force: true })
  }
}

function dryRun(): void {
  const pending = pendingChangesets()
  console.log(
    `release --dry-run: ${pending.length} changeset(s) pending: ${pending.join(', ') || '(none)'}`,
  )
  const plan = versionPlan()
  if (plan.length === 0) {
    console.log(
      'Nothing to version. `pnpm release` would publish the current versions not yet in the registry:',
    )
    for (const p of publicPackages()) console.log(`  ${p.name}@${p.version}`)
    return
  }
  console.log(
    '\nVersion plan (`pnpm changeset version` writes this; then `pnpm release` publishes it):\n',
  )
  const width = Math.max(...plan.map((p) => p.name.length))
  for (const p of plan) console.log(`  ${p.name.padEnd(width)}  ${p.from} → ${p.to}`)
  console.log('\nCHANGELOG.md entries:\n')
  for (const p of plan) console.log(`# ${p.name}\n${p.changelog}\n`)
}

function release(): void {
  const pending = pendingChangesets()
  if (pending.length > 0) {
    console.error(
      `release: ${pending.length} changeset(s) not yet versioned (${pending.join(', ')}): run \`pnpm changeset version\`, review and commit, then \`pnpm release\``,
    )
    process.exit(1)
  }
  // A clean build: tsc never deletes what an old build left in dist/.
  for (const p of workspacePackages())
    rmSync(join(ROOT, p.dir, 'dist'), { recursive: true, force: true })
  sh('pnpm', ['exec', 'turbo', 'run', 'build', '--force'])
  sh('pnpm', ['test'])
  sh(NODE24, [CHANGESET, 'publish'])
}

if (import.meta.filename === process.argv[1]) {
  if (process.argv.includes('--dry-run')) dryRun()
  else release()
}
