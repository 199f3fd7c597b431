import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { killOnFinish } from '@forklift/test-utils'

export const FIXTURES = new URL('./fixtures/', import.meta.url).pathname
export const isRoot = process.getuid?.() === 0

/**
 * The unprivileged test user scripts/test-deps.sh creates (with a supplementary
 * group). Missing: outside CI the caller skips with a message; in CI that is a failure.
 */
export function testUser(): string | undefined {
  const user = process.env.FORKLIFT_TEST_USER
  if (user) return user
  if (process.env.CI) {
    throw new Error(
      'FORKLIFT_TEST_USER is not set: scripts/test.sh (via scripts/test-deps.sh) must provide it in CI',
    )
  }
  return undefined
}

/** Spawns a fixture with node, killing it when the test ends; resolves with its first JSON line. */
export async function runFixture<T>(
  args: string[],
  options: { uid?: number; gid?: number; prefix?: string[] } = {},
): Promise<{ child: ChildProcess; out: T }> {
  const argv = [...(options.prefix ?? []), process.execPath, ...args]
  const child = killOnFinish(
    spawn(argv[0]!, argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
    }),
  )
  const out = await new Promise<T>((resolve, reject) => {
    let buf = ''
    let err = ''
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString()
    })
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString()
      const nl = buf.indexOf('\n')
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)) as T)
    })
    child.once('exit', (code, sig) => reject(new Error(`fixture exited (${code ?? sig}): ${err}`)))
  })
  return { child, out }
}

/** The fields of /proc/<pid>/status as raw strings. */
export function procStatus(pid: number): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':')
    if (i > 0) fields[line.slice(0, i)] = line.slice(i + 1).trim()
  }
  return fields
}

/** /proc/<pid>/limits as { 'Max open files': [soft, hard] }, 'unlimited' as Infinity. */
export function procLimits(pid: number): Record<string, [number, number]> {
  const limits: Record<string, [number, number]> = {}
  for (const line of readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').slice(1)) {
    const m = /^(.+?)\s{2,}(\S+)\s+(\S+)/.exec(line)
    if (!m) continue
    const n = (s: string) => (s === 'unlimited' ? Number.POSITIVE_INFINITY : Number(s))
    limits[m[1]!] = [n(m[2]!), n(m[3]!)]
  }
  return limits
}

/** `id -G user`: the groups a login of that user gets. */
export function idGroups(user: string): number[] {
  const res = spawnSync('id', ['-G', user], { encoding: 'utf8' })
  if (res.status !== 0) throw new Error(`id -G ${user}: ${res.stderr}`)
  return res.stdout.trim().split(/\s+/).map(Number)
}

export function sorted(a: readonly number[]): number[] {
  return [...a].sort((x, y) => x - y)
}
