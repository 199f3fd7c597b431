import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { prepareSqlitePath } from '../src/_sqlite-file.js'
import { RegistryError } from '../src/index.js'
import { open } from './helpers.js'

const BINARY = 'forklift-volume'
const isRoot = process.getuid?.() === 0

async function failure(p: Promise<unknown>): Promise<RegistryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(RegistryError)
  return err as RegistryError
}

/** A registry with one service that has heartbeated, and a second handle on the same file. */
async function twoWriters() {
  const dir = tempDir()
  const path = join(dir, 'registry.sqlite')
  const url = `sqlite:///${path}`
  const a = open(url)
  const b = open(url)
  const ra = await a.register({ host: 'a@x', binary: BINARY })
  const rb = await b.register({ host: 'b@x', binary: BINARY })
  for (let i = 0; i < 3; i++) {
    await a.heartbeat(ra.id)
    await b.heartbeat(rb.id)
  }
  return { dir, path, url, a, b, ra, rb }
}

describe('a SQLite registry whose file changes under it', () => {
  it('refuses to heartbeat into a deleted file, then opens the path afresh', async () => {
    const { path, url, a, b, ra } = await twoWriters()
    for (const r of [a, b, a]) {
      rmSync(path) // each time the file the previous round created
      const err = await failure(r.heartbeat(ra.id))
      expect(err.code).toBe('E_REGISTRY_MOVED')
      expect(err.message).toBe(`registry ${url}: the database file was deleted since it was opened`)
      // Once detected, the next call opens the path again: a fresh, empty registry.
      expect(await r.heartbeat(ra.id)).toBeUndefined()
    }
    const fresh = await a.register({ host: 'a@x', binary: BINARY })
    expect((await a.heartbeat(fresh.id))?.reportCount).toBe(1)
    expect((await open(url).listServices()).map((s) => s.host)).toEqual(['a@x'])
  })

  it('notices a file replaced by another one and continues in the replacement', async () => {
    const { dir, path, url, a, ra } = await twoWriters()
    const other = join(dir, 'restored.sqlite')
    const restoredFrom = open(`sqlite:///${other}`)
    await restoredFrom.register({ host: 'restored@x', binary: BINARY })
    await restoredFrom.close()
    renameSync(other, path)
    const err = await failure(a.heartbeat(ra.id))
    expect([err.code, err.message]).toEqual([
      'E_REGISTRY_MOVED',
      `registry ${url}: the database file was replaced by another file since it was opened`,
    ])
    expect((await a.listServices()).map((s) => s.host)).toEqual(['restored@x'])
  })

  it('fails every heartbeat of every writer while a fresh reader cannot open the file', async () => {
    const { path, url, a, b, ra, rb } = await twoWriters()
    // Pages copied back to the main file (a checkpoint), then its header overwritten, as by
    // a stray `dd`: new readers fail, but a connection with the pages cached could go on
    // appending heartbeats to its write-ahead log, which nobody can read.
    const { DatabaseSync } = await import('node:sqlite')
    const other = new DatabaseSync(path)
    other.exec('PRAGMA wal_checkpoint(PASSIVE)')
    other.close()
    const fd = openSync(path, 'r+')
    writeSync(fd, Buffer.alloc(100, 0x41), 0, 100, 0)
    closeSync(fd)
    const fresh = await failure(open(url).listServices())
    expect(fresh.code).toBe('E_REGISTRY_CONNECT')
    for (let i = 0; i < 3; i++) {
      for (const [r, id] of [
        [a, ra.id],
        [b, rb.id],
      ] as const) {
        const err = await failure(r.heartbeat(id))
        expect(['E_REGISTRY_CORRUPT', 'E_REGISTRY_CONNECT']).toContain(err.code)
        expect(err.message).toMatch(
          err.code === 'E_REGISTRY_CORRUPT'
            ? `registry ${url}: the database file is not a SQLite database any more (its header was overwritten)`
            : `cannot open registry ${url}`,
        )
      }
    }
  })

  it('keeps working through checkpoints and restarts (no false alarm)', async () => {
    const { url, a, ra } = await twoWriters()
    for (let i = 0; i < 200; i++) await a.heartbeat(ra.id)
    await a.close()
    const again = open(url)
    const rec = await again.register({ host: 'a@x', binary: BINARY })
    expect((await again.heartbeat(rec.id))?.reportCount).toBe(204)
  })
})

describe('where the SQLite file may live', () => {
  it.runIf(isRoot)('as root, never creates a missing directory', async () => {
    const missing = join(tempDir(), 'no', 'such', 'dir')
    const url = `sqlite:///${missing}/registry.sqlite`
    const err = await failure(open(url).listServices())
    expect(err.code).toBe('E_REGISTRY_CONNECT')
    expect(err.message).toMatch(
      `registry ${url}: directory ${missing} does not exist (create it first: forklift does not create directories as root)`,
    )
    expect(existsSync(join(missing, '..', '..'))).toBe(false)
  })

  it.runIf(isRoot)(
    'as root, refuses a directory others can write and a symlinked file',
    async () => {
      const shared = join(tempDir(), 'shared')
      mkdirSync(shared)
      chmodSync(shared, 0o1777)
      const err = await failure(open(`sqlite:///${shared}/r.sqlite`).listServices())
      expect(err.message).toContain(
        `directory ${shared} is writable by users other than root (owner uid 0, mode 1777); refusing to open a database there as root`,
      )
      const dir = tempDir()
      const target = join(dir, 'elsewhere.sqlite')
      copyFileSync('/dev/null', target)
      symlinkSync(target, join(dir, 'r.sqlite'))
      const link = await failure(open(`sqlite:///${dir}/r.sqlite`).listServices())
      expect(link.message).toContain(`${dir}/r.sqlite is not a regular file (a symlink)`)
    },
  )

  it('as another user, creates the directories it needs', () => {
    const path = join(tempDir(), 'state', 'deep', 'registry.sqlite')
    prepareSqlitePath(path, 'sqlite:///x', 1000)
    expect(existsSync(join(path, '..'))).toBe(true)
  })
})
