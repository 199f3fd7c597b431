import { connect } from 'node:net'
import { bindSocket, SocketError, socketOptionsFromConfig } from '@forklift/socket'

const opts = socketOptionsFromConfig({ bind_ip: '127.0.0.1', bind_port: '6200' })
if (opts.port !== 6200) throw new Error(`port ${opts.port}`)
try {
  socketOptionsFromConfig({ bind_port: 'x' }, { file: 'a.conf', section: 'app:x' })
  throw new Error('a bad port was accepted')
} catch (err) {
  if (!(err instanceof SocketError) || err.code !== 'E_SOCKET_CONFIG') throw err
}
const server = await bindSocket({ host: '127.0.0.1', port: 0 })
const address = server.address()
if (address === null || typeof address === 'string') throw new Error('no address')
await new Promise<void>((resolve, reject) => {
  const c = connect(address.port, '127.0.0.1', () => {
    c.end()
    resolve()
  })
  c.on('error', reject)
})
server.close()
console.log('ok @forklift/socket')
