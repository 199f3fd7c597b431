// The local npm registry of the release checks: one Verdaccio on 127.0.0.1
// per checkout, on the pinned Node 24, storage in a fresh temp dir, no
// uplinks (so `@forklift/*` can only come from what we published here, never
// from the public registry). `startRegistry()` and `stopRegistry()` are
// idempotent: a second start finds the running one through the state file and
// reuses it; a stop of nothing is a no-op. A process is signalled only when
// its /proc cmdline is our server script with our registry dir.
import { spawn } from 'node:child_process'
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'

export const TOOL_DIR = resolve(import.meta.dirname, '..')
export const ROOT = resolve(TOOL_DIR, '../..')
/** The real Node 24 binary (pnpm's `.bin/node` wrapper does not exec, so signals would miss it). */
export const NODE24 = join(ROOT, 'node_modules/node/bin/node')
const SERVER_SCRIPT = join(TOOL_DIR, 'src/verdaccio-server.ts')
const STATE_FILE = join(TOOL_DIR, '.registry/state.json')
const USER = 'forklift-release'

export interface RegistryState {
  pid: number
  /** `http://127.0.0.1:<port>/` */
  url: string
  /** The temp dir: config, storage, log, npmrc. */
  dir: string
  /** A token of the one user that may publish. */
  token: string
  /** A userconfig (`NPM_CONFIG_USERCONFIG`) that points npm and pnpm at this registry with the token. */
  npmrc: string
}

function readState(): RegistryState | undefined {
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as RegistryState
  } catch {
    return undefined
  }
}

function writeState(state: RegistryState): void {
  const tmp = `${STATE_FILE}.${process.pid}`
  rmSync(tmp, { force: true })
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { flag: 'wx' })
  renameSync(tmp, STATE_FILE)
}

/** True when `pid` runs our server script for `dir` (never trust a recycled pid). */
function isOurServer(pid: number, dir: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    return argv.includes(SERVER_SCRIPT) && argv.includes(dir)
  } catch {
    return false
  }
}

/**
 * fetch with a retry on a dropped connection: Verdaccio closes idle keep-alive
 * connections after 5 s, and a request racing that close fails with "other side closed".
 */
export async function registryFetch(url: URL, init: RequestInit = {}): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, { signal: AbortSignal.timeout(30_000), ...init })
    } catch (err) {
      if (attempt >= 3) throw err
    }
  }
}

async function ping(url: string): Promise<boolean> {
  try {
    const res = await registryFetch(new URL('-/ping', url), { signal: AbortSignal.timeout(5000) })
    await res.arrayBuffer()
    return res.ok
  } catch {
    return false
  }
}

async function until<T>(
  what: string,
  timeoutMs: number,
  check: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline)
      throw new Error(`local registry: timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function logTail(dir: string): string {
  try {
    return readFileSync(join(dir, 'verdaccio.log'), 'utf8').split('\n').slice(-20).join('\n')
  } catch {
    return '(no log)'
  }
}

/** The running registry of this checkout, or undefined (a dead one's leftovers are removed). */
export async function registryStatus(): Promise<RegistryState | undefined> {
  const state = readState()
  if (!state) return undefined
  if (isOurServer(state.pid, state.dir) && (await ping(state.url))) return state
  await stopRegistry()
  return undefined
}

/** Starts the registry, or returns the one already running. */
export async function startRegistry(): Promise<RegistryState> {
  const running = await registryStatus()
  if (running) return running
  if (!existsSync(NODE24))
    throw new Error(`local registry: ${NODE24} is missing (run pnpm install)`)

  const dir = mkdtempSync(join(tmpdir(), 'forklift-registry-'))
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      'storage: ./storage',
      'auth:',
      '  htpasswd:',
      '    file: ./htpasswd',
      '    max_users: 1',
      '# No uplinks: @forklift/* must come from what the release checks published.',
      'uplinks: {}',
      'packages:',
      "  '@forklift/*':",
      '    access: $all',
      '    publish: $authenticated',
      '    unpublish: $authenticated',
      "  '**':",
      '    access: $all',
      'web:',
      '  enable: false',
      'log: { type: stdout, format: json, level: warn }',
      '',
    ].join('\n'),
  )
  const log = openSync(join(dir, 'verdaccio.log'), 'a')
  const child = spawn(NODE24, [SERVER_SCRIPT, dir], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, NODE_PATH: undefined, NODE_OPTIONS: undefined },
  })
  closeSync(log)
  let exited: string | undefined
  child.on('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`
  })
  child.unref()
  const pid = child.pid
  if (pid === undefined) throw new Error('local registry: could not spawn Verdaccio')

  let ready: { port: number }
  try {
    ready = await until('Verdaccio to listen', 60_000, () => {
      if (exited) throw new Error(`local registry: Verdaccio ${exited}:\n${logTail(dir)}`)
      try {
        return JSON.parse(readFileSync(join(dir, 'ready.json'), 'utf8')) as { port: number }
      } catch {
        return undefined
      }
    })
  } catch (err) {
    if (!exited) process.kill(pid, 'SIGKILL')
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 })
    throw err
  }
  const url = `http://127.0.0.1:${ready.port}/`
  const token = await addUser(url)
  const npmrc = join(dir, 'npmrc')
  writeFileSync(npmrc, `registry=${url}\n//127.0.0.1:${ready.port}/:_authToken=${token}\n`, {
    mode: 0o600,
  })
  const state: RegistryState = { pid, url, dir, token, npmrc }
  mkdirSync(dirname(STATE_FILE), { recursive: true })
  writeState(state)
  return state
}

/** Registers the one publishing user (what `npm adduser` does) and returns its token. */
async function addUser(url: string): Promise<string> {
  const res = await registryFetch(new URL(`-/user/org.couchdb.user:${USER}`, url), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: USER,
      password: `${USER}-${process.pid}-${Date.now()}`,
      type: 'user',
      roles: [],
    }),
  })
  const body = (await res.json()) as { token?: string; error?: string }
  if (!res.ok || !body.token)
    throw new Error(
      `local registry: adding the publishing user failed: ${res.status} ${body.error ?? ''}`,
    )
  return body.token
}

/** Stops this checkout's registry and removes its temp dir; false when none was recorded. */
export async function stopRegistry(): Promise<boolean> {
  const state = readState()
  if (!state) return false
  if (isOurServer(state.pid, state.dir)) {
    process.kill(state.pid, 'SIGTERM')
    try {
      await until('Verdaccio to exit', 10_000, () =>
        isOurServer(state.pid, state.dir) ? undefined : true,
      )
    } catch {
      if (isOurServer(state.pid, state.dir)) process.kill(state.pid, 'SIGKILL')
      await until('Verdaccio to exit after SIGKILL', 10_000, () =>
        isOurServer(state.pid, state.dir) ? undefined : true,
      )
    }
  }
  if (state.dir.startsWith(join(tmpdir(), 'forklift-registry-'))) {
    rmSync(state.dir, { recursive: true, force: true, maxRetries: 5 })
  }
  rmSync(STATE_FILE, { force: true })
  return true
}
