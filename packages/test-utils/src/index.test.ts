import { existsSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, describe, expect, it, onTestFinished } from 'vitest'
import {
  alive,
  boundSocket,
  childPids,
  freePort,
  readJsonLines,
  spawnCollect,
  tempDir,
  tempFiles,
  waitFor,
  waitGone,
} from './index.js'

describe('tempDir', () => {
  const seen: string[] = []
  it('makes a dir', () => {
    const { dir, write } = tempFiles('fl-tu-')
    seen.push(dir)
    expect(existsSync(write('a/b.txt', 'x'))).toBe(true)
    expect(existsSync(tempDir())).toBe(true)
  })
  afterAll(() => expect(seen.filter((d) => existsSync(d))).toEqual([]))
})

describe('waitFor', () => {
  it('resolves with the first truthy value, retrying checks that throw', async () => {
    let n = 0
    const v = await waitFor(
      () => {
        n++
        if (n < 3) throw new Error(`not yet ${n}`)
        return n === 4 && 'four'
      },
      'four',
      5000,
      1,
    )
    expect(v).toBe('four')
  })
  it('rejects after the deadline naming what and the last error', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('nope')
        },
        'the impossible',
        50,
        5,
      ),
    ).rejects.toThrow('timed out after 50 ms waiting for the impossible: Error: nope')
  })
})

describe('processes', () => {
  it('collects output, sees children and their end', async () => {
    const p = spawnCollect(process.execPath, [
      '-e',
      "const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); console.log(c.pid); console.error('err')",
    ])
    const pid = Number(await waitFor(() => p.stdout().trim(), 'the grandchild pid'))
    try {
      expect(alive(pid)).toBe(true)
      await waitFor(
        () => childPids(p.child.pid!).includes(pid),
        'the child listed under its parent',
      )
      process.kill(pid, 'SIGTERM')
      await waitGone(pid)
      expect(alive(pid)).toBe(false)
      expect(await p.closed).toEqual({ code: 0, signal: null })
      expect(p.stderr()).toBe('err\n')
    } finally {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    }
  })
  it('closed rejects for a command that does not exist', async () => {
    await expect(spawnCollect('/nonexistent/forklift-command', []).closed).rejects.toThrow(/ENOENT/)
  })
})

describe('files and ports', () => {
  it('reads complete JSON lines only', () => {
    const file = join(tempDir(), 'x.jsonl')
    expect(readJsonLines(file)).toEqual([])
    writeFileSync(file, '{"a":1}\n{"b":')
    expect(readJsonLines(file)).toEqual([{ a: 1 }])
  })
  it('finds a free port', async () => {
    expect(await freePort()).toBeGreaterThan(0)
  })
  it('holds a bound port that refuses connections until a server listens on its descriptor', async () => {
    const held = boundSocket()
    expect(held.port).toBeGreaterThan(0)
    expect(held.fd).toBeGreaterThan(2)
    const tryConnect = () =>
      new Promise((resolve, reject) => {
        const s = connect(held.port, '127.0.0.1')
        s.once('connect', () => {
          s.destroy()
          resolve(undefined)
        })
        s.once('error', reject)
      })
    await expect(tryConnect()).rejects.toThrow(/ECONNREFUSED/)
    const server = createServer((s) => s.destroy())
    onTestFinished(() => {
      server.close()
    })
    await new Promise<void>((resolve) => server.listen({ fd: held.fd }, resolve))
    await expect(tryConnect()).resolves.toBeUndefined()
  })
})
