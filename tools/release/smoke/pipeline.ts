import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadApp } from '@forklift/pipeline'

const dir = mkdtempSync(join(tmpdir(), 'smoke-pipeline-'))
try {
  const file = join(dir, 'proxy-server.conf')
  writeFileSync(
    file,
    '[pipeline:main]\npipeline = healthcheck hello\n\n[filter:healthcheck]\nuse = forklift#healthcheck\n\n[app:hello]\nuse = forklift#hello\n',
  )
  const server = createServer(await loadApp(file))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const health = await fetch(`http://127.0.0.1:${port}/healthcheck`)
  const text = await health.text()
  server.close()
  if (health.status !== 200 || text !== 'OK')
    throw new Error(`healthcheck: ${health.status} ${text}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log('ok @forklift/pipeline')
