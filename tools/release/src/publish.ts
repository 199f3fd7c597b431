// Publishing the workspace to the local registry the way `pnpm release` publishes
// to the real one: `changeset publish` (which runs `pnpm publish` per package,
// rewriting `workspace:` ranges), skipping git tags.
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { NODE24, type RegistryState, ROOT, registryFetch } from './registry.ts'

export interface WorkspacePackage {
  name: string
  version: string
  /** Relative to the root, e.g. `packages/config`. */
  dir: string
  private: boolean
  manifest: Record<string, unknown> & {
    dependencies?: Record<string, string>
    devDependencies?: Record<string, string>
    bin?: Record<string, string>
    scripts?: Record<string, string>
  }
}

/** Every package and app of the workspace (not tools/), in directory order. */
export function workspacePackages(): WorkspacePackage[] {
  const out: WorkspacePackage[] = []
  for (const group of ['packages', 'apps']) {
    for (const entry of readdirSync(join(ROOT, group), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue
      const dir = `${group}/${entry.name}`
      let manifest: WorkspacePackage['manifest']
      try {
        manifest = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8'))
      } catch {
        continue
      }
      out.push({
        name: String(manifest.name),
        version: String(manifest.version),
        dir,
        private: manifest.private === true,
        manifest,
      })
    }
  }
  return out
}

export function publicPackages(): WorkspacePackage[] {
  return workspacePackages().filter((p) => !p.private)
}

/** An environment for npm/pnpm/node children: Node 24 first on PATH, no pnpm NODE_PATH leaking the workspace in. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (
      /^(npm|pnpm)_/i.test(k) ||
      k === 'NODE_PATH' ||
      k === 'NODE_OPTIONS' ||
      k.startsWith('VITEST')
    )
      continue
    env[k] = v
  }
  const systemPath = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin')
    .split(':')
    .filter((p) => !p.includes('node_modules'))
  env.PATH = [dirname(NODE24), ...systemPath].join(':')
  return { ...env, ...extra }
}

/** What the registry holds for a package: its versions. */
export async function registryVersions(state: RegistryState, name: string): Promise<string[]> {
  const res = await registryFetch(new URL(name.replace('/', '%2f'), state.url))
  if (res.status === 404) return []
  if (!res.ok) throw new Error(`local registry: GET ${name}: ${res.status}`)
  const doc = (await res.json()) as { versions?: Record<string, unknown> }
  return Object.keys(doc.versions ?? {})
}

/** Publishes every public package not yet in the registry at its version; returns what the registry now has. */
export async function publishWorkspace(state: RegistryState): Promise<WorkspacePackage[]> {
  const cli = join(ROOT, 'node_modules/@changesets/cli/bin.js')
  const r = spawnSync(NODE24, [cli, 'publish', '--no-git-tag'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: cleanEnv({
      npm_config_userconfig: state.npmrc,
      npm_config_registry: state.url,
      CI: 'true',
    }),
    timeout: 300_000,
  })
  const packages = publicPackages()
  const missing: string[] = []
  for (const p of packages) {
    if (!(await registryVersions(state, p.name)).includes(p.version))
      missing.push(`${p.name}@${p.version}`)
  }
  if (r.status !== 0 || missing.length > 0) {
    throw new Error(
      `changeset publish to ${state.url} failed (exit ${r.status ?? r.signal}; missing ${missing.join(' ') || 'none'}):\n${r.stdout}\n${r.stderr}`,
    )
  }
  return packages
}
