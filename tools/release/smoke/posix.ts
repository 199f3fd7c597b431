import { getResourceLimit } from '@forklift/posix/rlimit'

// The prebuilt addon from the tarball: no compiler, no install script.
const nofile = getResourceLimit('nofile')
if (!(nofile.soft > 0) || !(nofile.hard >= nofile.soft))
  throw new Error(`nofile ${JSON.stringify(nofile)}`)
const { readFileSync } = await import('node:fs')
const soft = /^Max open files\s+(\d+|unlimited)/m.exec(
  readFileSync('/proc/self/limits', 'utf8'),
)?.[1]
if (soft !== String(nofile.soft) && !(soft === 'unlimited' && nofile.soft === Infinity)) {
  throw new Error(`nofile soft ${nofile.soft}, /proc/self/limits says ${soft}`)
}
console.log('ok @forklift/posix')
