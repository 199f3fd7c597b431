import { readlinkSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { dropPrivileges, lookupUser } from '../src/index.js'
import { FIXTURES, idGroups, isRoot, procStatus, runFixture, sorted, testUser } from './_helpers.js'

interface DropOut {
  pid: number
  result?: { user: { name: string; uid: number; gid: number; home: string }; changed: boolean }
  env?: { HOME: string; USER: string; LOGNAME: string }
  cwd?: string
  error?: { name: string; code: string; message: string }
}

const user = testUser()
if (!user)
  console.warn(
    'skipping the privilege-dropping process tests: FORKLIFT_TEST_USER is not set (scripts/test-deps.sh creates it as root)',
  )

describe('cleanUpDaemonHygiene', () => {
  it('leaves a real process in / with umask 022', async () => {
    // Dropping to the user we already are changes nothing, as root and as non-root.
    const me = lookupUser(String(process.getuid!()))
    const { out } = await runFixture<DropOut>([`${FIXTURES}drop-child.mjs`, me.name, 'hygiene'])
    expect(out.error).toBeUndefined()
    expect(readlinkSync(`/proc/${out.pid}/cwd`)).toBe('/')
    expect(procStatus(out.pid).Umask).toBe('0022')
  })
})

describe('dropPrivileges', () => {
  it('refuses an unknown user before changing anything', () => {
    const before = [process.getuid!(), process.getgid!()]
    expect(() => dropPrivileges('no-such-user-forklift')).toThrow(
      expect.objectContaining({
        code: 'E_NO_SUCH_USER',
        message: "User 'no-such-user-forklift' does not exist",
      }),
    )
    expect([process.getuid!(), process.getgid!()]).toEqual(before)
  })

  it.skipIf(!isRoot || !user)(
    'as root, switches a real process to the user: uid, gid and groups exactly, HOME, USER, LOGNAME',
    async () => {
      const info = lookupUser(user!)
      const { out } = await runFixture<DropOut>([`${FIXTURES}drop-child.mjs`, user!])
      expect(out.error).toBeUndefined()
      expect(out.result).toMatchObject({
        changed: true,
        user: { name: user, uid: info.uid, gid: info.gid },
      })
      const status = procStatus(out.pid)
      // Real, effective, saved and filesystem ids: a saved uid of 0 could regain root.
      expect(status.Uid!.split(/\s+/).map(Number)).toEqual([info.uid, info.uid, info.uid, info.uid])
      expect(status.Gid!.split(/\s+/).map(Number)).toEqual([info.gid, info.gid, info.gid, info.gid])
      const groups = status.Groups!.split(/\s+/).filter(Boolean).map(Number)
      expect(sorted(groups)).toEqual(sorted(idGroups(user!)))
      expect(groups).not.toContain(0)
      expect(out.env).toEqual({ HOME: info.home, USER: user, LOGNAME: user })
    },
  )

  it.skipIf(!isRoot || !user)('with daemon hygiene: cwd / and umask 022', async () => {
    const { out } = await runFixture<DropOut>([`${FIXTURES}drop-child.mjs`, user!, 'hygiene'])
    expect(out.error).toBeUndefined()
    expect(out.cwd).toBe('/')
    expect(readlinkSync(`/proc/${out.pid}/cwd`)).toBe('/')
    expect(procStatus(out.pid).Umask).toBe('0022')
  })

  it.skipIf(!isRoot || !user)(
    'as a non-root user: a no-op for itself, E_PERMISSION for another user',
    async () => {
      const info = lookupUser(user!)
      const asUser = { uid: info.uid, gid: info.gid }
      const self = await runFixture<DropOut>([`${FIXTURES}drop-child.mjs`, user!], asUser)
      expect(self.out.error).toBeUndefined()
      expect(self.out.result).toMatchObject({ changed: false, user: { name: user } })

      const other = await runFixture<DropOut>([`${FIXTURES}drop-child.mjs`, 'root'], asUser)
      expect(other.out.error).toEqual({
        name: 'PrivilegesError',
        code: 'E_PERMISSION',
        message: `Cannot drop privileges to user 'root' (uid 0): running as uid ${info.uid}, not root; start as root or set user = the user running it`,
      })
      expect(procStatus(other.out.pid).Uid!.split(/\s+/).map(Number)).toEqual(
        Array(4).fill(info.uid),
      )
    },
  )

  it.skipIf(isRoot)(
    'as non-root: a no-op for the current user, E_PERMISSION (EPERM path) for root',
    () => {
      const me = lookupUser(String(process.getuid!()))
      expect(dropPrivileges(me.name)).toMatchObject({ changed: false, user: { uid: me.uid } })
      expect(() => dropPrivileges('root')).toThrow(
        expect.objectContaining({ code: 'E_PERMISSION' }),
      )
    },
  )
})
