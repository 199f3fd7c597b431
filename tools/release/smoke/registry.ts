import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatServiceTable, openRegistry } from '@forklift/registry'

const dir = mkdtempSync(join(tmpdir(), 'smoke-registry-'))
try {
  const registry = openRegistry(`sqlite:///${join(dir, 'forklift.sqlite')}`)
  const rec = await registry.register({ host: 'node1@lvm', binary: 'forklift-volume' })
  await registry.heartbeat(rec.id)
  const [listed] = await registry.listServices({ serviceDownTime: 60 })
  const table = formatServiceTable([listed!])
  await registry.close()
  if (!listed?.up || listed.reportCount !== 1 || !table.includes('node1@lvm')) {
    throw new Error(`unexpected ${JSON.stringify(listed)}\n${table}`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log('ok @forklift/registry')
