import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { planWsgi } from '@forklift/runner'

const dir = mkdtempSync(join(tmpdir(), 'smoke-runner-'))
try {
  const file = join(dir, 'object-server.conf')
  writeFileSync(
    file,
    '[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = 6200\nworkers = 3\n\n[pipeline:main]\npipeline = object-server\n\n[app:object-server]\nuse = forklift#hello\n',
  )
  const plan = planWsgi(file, { section: 'object-server' })
  if (plan.workers !== 3 || plan.bind.port !== 6200 || plan.bind.host !== '127.0.0.1') {
    throw new Error(`unexpected plan ${JSON.stringify(plan)}`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
// Planning a server sends no datagram, so no native datagram addon is loaded.
if (/forklift-posix|unix-socket/.test(readFileSync('/proc/self/maps', 'utf8')))
  throw new Error('a native datagram addon was loaded')
console.log('ok @forklift/runner')
