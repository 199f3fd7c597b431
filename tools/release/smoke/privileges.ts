import { lookupUser, PrivilegesError } from '@forklift/privileges'

const root = lookupUser('root')
if (root.uid !== 0 || root.gid !== 0 || !root.groups.includes(0))
  throw new Error(`root is ${JSON.stringify(root)}`)
try {
  lookupUser('no-such-user-forklift-smoke')
  throw new Error('an unknown user was found')
} catch (err) {
  if (!(err instanceof PrivilegesError)) throw err
}
console.log('ok @forklift/privileges')
