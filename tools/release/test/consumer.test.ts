// The root README's consumer guide, run as written in someone else's project:
// the packages its programs import, installed from the local registry; the
// server started, answering, reloaded (SIGHUP) under a stream of requests
// with none failing, and stopped (SIGTERM) with its workers gone.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { extractBlocks, importedPackages, type ReadmeBlock } from '../src/readme.ts'
import { NODE24, type RegistryState, ROOT } from '../src/registry.ts'
import { npm, scratchProject, spawnCollected } from '../src/scratch.ts'
import { publishedRegistry } from '../src/session.ts'

const blocks = extractBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'), 'README.md')
const files = new Map(blocks.filter((b) => b.mode === 'file').map((b) => [b.fileName!, b] as const))

let state: RegistryState
beforeAll(async () => {
  state = await publishedRegistry()
})

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await Promise.resolve()
      .then(check)
      .catch(() => undefined)
    if (v !== undefined && v !== false) return v as T
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\d+ \(.*\) Z/.test(stat)
  } catch {
    return false
  }
}

async function get(port: number): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/`)
  return { status: res.status, body: await res.text() }
}

async function setUp(program: ReadmeBlock) {
  const s = scratchProject(state, 'consumer')
  onTestFinished(() => rmSync(s.dir, { recursive: true, force: true, maxRetries: 5 }))
  const install = await npm(s, ['install', ...importedPackages(program.code)])
  expect(install.code, install.out).toBe(0)
  const port = await freePort()
  const conf = files.get('server.conf')!.code.replace(/^bind_port = \d+$/m, `bind_port = ${port}`)
  writeFileSync(join(s.dir, 'server.conf'), conf)
  writeFileSync(join(s.dir, program.fileName!), program.code)
  return { s, port }
}

function start(dir: string, program: string, env: NodeJS.ProcessEnv) {
  const { child, output } = spawnCollected(NODE24, [program, 'server.conf'], { cwd: dir, env })
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return { child, output, exited }
}

/** Serves, reloads under load with no failed request, stops with its workers gone. */
async function exercise(server: ReturnType<typeof start>, port: number, dir: string) {
  await until('listening', () => server.output().includes('listening on port'))
  const first = await get(port)
  expect(first.status).toBe(200)
  expect(first.body).toMatch(/^hello from \d+, generation 1\n$/)
  const oldWorker = Number(/from (\d+)/.exec(first.body)![1])

  writeFileSync(
    join(dir, 'server.conf'),
    readFileSync(join(dir, 'server.conf'), 'utf8').replace('greeting = hello', 'greeting = hi'),
  )
  let stop = false
  const answers: string[] = []
  const load = (async () => {
    while (!stop) {
      const r = await get(port).catch((err: Error) => ({ status: 0, body: err.message }))
      answers.push(r.status === 200 ? r.body : `FAILED ${r.status} ${r.body}`)
    }
  })()
  await until('some requests before the reload', () => answers.length >= 5)
  server.child.kill('SIGHUP')
  await until('the reload', () => server.output().includes('reloaded'))
  await until('an answer from generation 2', () => answers.some((a) => a.startsWith('hi from')))
  stop = true
  await load
  expect(
    answers.filter((a) => a.startsWith('FAILED')),
    'requests that failed during the reload',
  ).toEqual([])
  expect((await get(port)).body).toMatch(/^hi from \d+, generation 2\n$/)
  await until('the old generation to exit', () => !alive(oldWorker))

  const workers = [...new Set(answers.map((a) => Number(/from (\d+)/.exec(a)?.[1])))]
  server.child.kill('SIGTERM')
  expect(await server.exited, server.output()).toBe(0)
  for (const pid of workers) expect(alive(pid), `worker ${pid} after SIGTERM`).toBe(false)
}

describe("the root README's consumer guide", () => {
  it('has the config and both programs', () => {
    expect([...files.keys()].sort()).toEqual([
      'server-with-pid-file.mjs',
      'server.conf',
      'server.mjs',
    ])
  })

  it('config + socket + supervisor: a pre-forked server with seamless reload', {
    timeout: 300_000,
  }, async () => {
    const program = files.get('server.mjs')!
    expect(importedPackages(program.code).sort()).toEqual([
      '@forklift/config',
      '@forklift/socket',
      '@forklift/supervisor',
    ])
    const { s, port } = await setUp(program)
    await exercise(start(s.dir, 'server.mjs', s.env), port, s.dir)
  })

  it('… with @forklift/paths: a pid file that a second copy respects', {
    timeout: 300_000,
  }, async () => {
    const program = files.get('server-with-pid-file.mjs')!
    expect(importedPackages(program.code)).toContain('@forklift/paths')
    const { s, port } = await setUp(program)
    const server = start(s.dir, 'server-with-pid-file.mjs', s.env)
    await until('listening', () => server.output().includes('listening on port'))
    const pidFile = join(s.dir, 'run/hello.pid')
    expect(readFileSync(pidFile, 'utf8')).toBe(`${server.child.pid}\n`)

    const second = start(s.dir, 'server-with-pid-file.mjs', s.env)
    expect(await second.exited).toBe(1)
    expect(second.output()).toContain(`already running as pid ${server.child.pid}`)

    await exercise(server, port, s.dir)
    expect(existsSync(pidFile), 'the pid file after SIGTERM').toBe(false)
  })
})
