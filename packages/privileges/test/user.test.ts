import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { isPrivilegesError, lookupUser } from '../src/index.js'
import { idGroups, sorted, testUser } from './_helpers.js'

const user = testUser()
if (!user)
  console.warn(
    'skipping lookups of the test user: FORKLIFT_TEST_USER is not set (scripts/test-deps.sh creates it as root)',
  )

describe('lookupUser', () => {
  it('finds root by name and by uid', () => {
    const root = lookupUser('root')
    expect(root).toMatchObject({ name: 'root', uid: 0, gid: 0 })
    expect(root.groups[0]).toBe(0)
    expect(lookupUser('0')).toEqual(root)
  })

  it('matches the user database for the user running the tests', () => {
    const uid = process.getuid!()
    const info = lookupUser(String(uid))
    expect(info.uid).toBe(uid)
    const name = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim()
    expect(info.name).toBe(name)
    expect(sorted(info.groups)).toEqual(sorted(idGroups(name)))
  })

  it.skipIf(!user)(
    'gives the test user its primary group first, then its supplementary groups',
    () => {
      const info = lookupUser(user!)
      expect(info.name).toBe(user)
      expect(info.groups[0]).toBe(info.gid)
      expect(info.groups.length).toBeGreaterThanOrEqual(2)
      expect(sorted(info.groups)).toEqual(sorted(idGroups(user!)))
      expect(info.home).toMatch(/^\//)
    },
  )

  it.each(['no-such-user-forklift', '', 'a:b', '4294967000'])(
    'throws E_NO_SUCH_USER for %j',
    (name) => {
      try {
        lookupUser(name)
        expect.unreachable()
      } catch (err) {
        expect(isPrivilegesError(err)).toBe(true)
        expect(err).toMatchObject({
          name: 'PrivilegesError',
          code: 'E_NO_SUCH_USER',
          message: `User '${name}' does not exist`,
          user: name,
        })
      }
    },
  )
})
