import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import {
  checkCanRunAs,
  checkReadableAs,
  isPrivilegesError,
  lookupUser,
  type PrivilegesError,
} from '../src/index.js'
import { isRoot, testUser } from './_helpers.js'

const where = { file: '/etc/swift/object-server.conf', section: 'app:object-server', key: 'user' }
const PREFIX = '/etc/swift/object-server.conf [app:object-server] user'

function errorOf(fn: () => unknown): PrivilegesError {
  try {
    fn()
  } catch (err) {
    expect(isPrivilegesError(err)).toBe(true)
    expect((err as Error).message).not.toMatch(/[\n\r]/)
    return err as PrivilegesError
  }
  throw new Error('expected a PrivilegesError, got a result')
}

const user = testUser()
if (!user)
  console.warn(
    'skipping checks as the test user: FORKLIFT_TEST_USER is not set (scripts/test-deps.sh creates it as root)',
  )

describe('lookupUser: names that cannot be users', () => {
  it.each([
    // getent would take these as options: --service=files lists every user, root first.
    ['--service=files', "User '--service=files' does not exist"],
    ['-h', "User '-h' does not exist"],
    ['--version', "User '--version' does not exist"],
    ['root\0x', "User 'root\\u0000x' does not exist"],
    ['ro ot', "User 'ro ot' does not exist"],
    ['swift\n', "User 'swift\\n' does not exist"],
    [' ', "User ' ' does not exist"],
  ])('%j is E_NO_SUCH_USER on one line, never another user', (name, message) => {
    expect(errorOf(() => lookupUser(name))).toMatchObject({ code: 'E_NO_SUCH_USER', message })
  })

  it('names file, section and key when told where the user was configured', () => {
    const err = errorOf(() => lookupUser('no-such-user-forklift', { where }))
    expect(err).toMatchObject({
      code: 'E_NO_SUCH_USER',
      ...where,
      user: 'no-such-user-forklift',
      message: `${PREFIX}: User 'no-such-user-forklift' does not exist`,
    })
  })

  it('cuts a huge name', () => {
    const err = errorOf(() => lookupUser('u'.repeat(1e6), { where }))
    expect(err.message.length).toBeLessThan(250)
  })
})

describe('checkCanRunAs', () => {
  it('returns the user this process runs as, and refuses an unknown one naming where', () => {
    const me = lookupUser(String(process.getuid!()))
    expect(checkCanRunAs(me.name, { where })).toEqual(me)
    expect(errorOf(() => checkCanRunAs('no-such-user-forklift', { where }))).toMatchObject({
      code: 'E_NO_SUCH_USER',
      ...where,
    })
  })

  it.skipIf(!user)('as root, any existing user; otherwise E_PERMISSION naming where', () => {
    if (isRoot) {
      expect(checkCanRunAs(user!).name).toBe(user)
    } else {
      expect(errorOf(() => checkCanRunAs('root', { where }))).toMatchObject({
        code: 'E_PERMISSION',
        message: expect.stringMatching(/^\/etc\/swift.* user: cannot run as user 'root' \(uid 0\)/),
      })
    }
  })
})

describe('checkReadableAs', () => {
  it('passes for readable files and directories, fails naming the first unreadable path', () => {
    const me = lookupUser(String(process.getuid!()))
    const dir = tempDir()
    const file = join(dir, 'a.conf')
    writeFileSync(file, '[DEFAULT]\n')
    expect(() => checkReadableAs(me, [dir, file])).not.toThrow()
    const missing = join(dir, 'nope.conf')
    expect(errorOf(() => checkReadableAs(me, [file, missing], { where }))).toMatchObject({
      code: 'E_NOT_READABLE',
      message: `${PREFIX}: user '${me.name}' (uid ${me.uid}) cannot read ${missing}: no such file`,
    })
  })

  it.skipIf(!isRoot || !user)(
    'as root, asks as the user: modes, parent directories and supplementary groups count',
    () => {
      const info = lookupUser(user!)
      const extraGroup = info.groups.find((g) => g !== info.gid)
      expect(extraGroup).toBeDefined()
      const dir = tempDir()
      chmodSync(dir, 0o755)
      const rootOnly = join(dir, 'root-only.conf')
      writeFileSync(rootOnly, '[DEFAULT]\n', { mode: 0o600 })
      const shared = join(dir, 'group.conf')
      writeFileSync(shared, '[DEFAULT]\n', { mode: 0o640 })
      chownSync(shared, 0, extraGroup!)
      const closed = join(dir, 'closed')
      mkdirSync(closed, { mode: 0o700 })
      const inside = join(closed, 'x.conf')
      writeFileSync(inside, '[DEFAULT]\n', { mode: 0o644 })

      // Root reads them all; the user only through its supplementary group.
      expect(() => checkReadableAs(lookupUser('root'), [rootOnly, inside])).not.toThrow()
      expect(() => checkReadableAs(info, [dir, shared])).not.toThrow()
      expect(errorOf(() => checkReadableAs(info, [shared, rootOnly], { where }))).toMatchObject({
        code: 'E_NOT_READABLE',
        user: user,
        ...where,
        message: `${PREFIX}: user '${user}' (uid ${info.uid}) cannot read ${rootOnly}: permission denied`,
      })
      expect(errorOf(() => checkReadableAs(info, [inside])).message).toBe(
        `user '${user}' (uid ${info.uid}) cannot read ${inside}: permission denied`,
      )
      expect(errorOf(() => checkReadableAs(info, [closed])).message).toContain(
        `cannot read ${closed}: permission denied`,
      )
      // This process is still root.
      expect(process.getuid!()).toBe(0)
    },
  )
})
