// Someone else's project: a temp dir outside the workspace where plain npm
// installs @forklift packages from the local registry (the scope points there;
// everything else comes from npm's default registry, as for any user).
import { type ChildProcess, spawn } from 'node:child_process'
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cleanEnv } from './publish.ts'
import { consumerTsconfig } from './readme-project.ts'
import { NODE24, type RegistryState, ROOT } from './registry.ts'

export interface Scratch {
  dir: string
  /** The userconfig with the scope's registry (for `npm install -g`, which ignores a project's .npmrc). */
  npmrc: string
  env: NodeJS.ProcessEnv
}

/** A new scratch project whose npm finds `@forklift/*` in `state`'s registry. */
export function scratchProject(state: RegistryState, prefix: string): Scratch {
  const dir = mkdtempSync(join(tmpdir(), `forklift-${prefix}-`))
  if (dir.startsWith(`${ROOT}/`)) throw new Error(`scratch project ${dir} is inside the workspace`)
  writeFileSync(
    join(dir, 'package.json'),
    '{ "name": "someone-elses-project", "private": true, "type": "module" }\n',
  )
  const npmrc = join(dir, '.npmrc')
  writeFileSync(
    npmrc,
    `@forklift:registry=${state.url}\naudit=false\nfund=false\nupdate-notifier=false\n`,
  )
  return { dir, npmrc, env: cleanEnv({ npm_config_userconfig: npmrc }) }
}

export interface Ran {
  code: number | null
  signal: NodeJS.Signals | null
  out: string
}

/** Starts a command with its stdout and stderr collected together. */
export function spawnCollected(
  cmd: string,
  args: readonly string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; detached?: boolean },
): { child: ChildProcess; output: () => string } {
  const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const add = (d: Buffer) => {
    out += d
  }
  child.stdout!.on('data', add)
  child.stderr!.on('data', add)
  return { child, output: () => out }
}

/** Runs a command to completion with output collected; SIGKILLs its group after `timeoutMs`. */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const { child, output } = spawnCollected(cmd, args, { ...opts, detached: true })
    let note = ''
    const timer = setTimeout(() => {
      note = `\n(killed after ${opts.timeoutMs} ms)`
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {}
    }, opts.timeoutMs ?? 180_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, out: output() + note })
    })
  })
}

/** `npm <args>` in the scratch project, with Node 24 first on PATH. */
export function npm(s: Scratch, args: readonly string[], timeoutMs = 300_000): Promise<Ran> {
  return run('npm', args, { cwd: s.dir, env: s.env, timeoutMs })
}

/** The @forklift packages installed under a node_modules dir, with their manifests. */
export function installedForklift(
  nodeModules: string,
): Map<string, { dir: string; manifest: Record<string, unknown> }> {
  const out = new Map<string, { dir: string; manifest: Record<string, unknown> }>()
  const scope = join(nodeModules, '@forklift')
  if (!existsSync(scope)) return out
  for (const name of readdirSync(scope)) {
    const dir = join(scope, name)
    if (lstatSync(dir).isSymbolicLink())
      throw new Error(`${dir} is a symlink: not an install from the registry`)
    out.set(`@forklift/${name}`, {
      dir,
      manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')),
    })
  }
  return out
}

/** Type-checks `files` in the scratch project as a strict NodeNext consumer; @types/node is linked beside it (a dev tool of any TS project), nothing else. */
export async function typeCheckScratch(s: Scratch, files: string[]): Promise<Ran> {
  const types = join(s.dir, '.types')
  mkdirSync(types, { recursive: true })
  if (!existsSync(join(types, 'node'))) {
    symlinkSync(
      join(createRequire(join(ROOT, 'package.json')).resolve('@types/node/package.json'), '..'),
      join(types, 'node'),
    )
  }
  const config = JSON.parse(consumerTsconfig(files)) as { compilerOptions: Record<string, unknown> }
  config.compilerOptions.typeRoots = ['./.types']
  config.compilerOptions.skipLibCheck = false
  writeFileSync(join(s.dir, 'tsconfig.json'), `${JSON.stringify(config, null, 2)}\n`)
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  return run(NODE24, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], { cwd: s.dir, env: s.env })
}
