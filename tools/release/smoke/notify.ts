import { notifyReady, notifyStatus, sdNotify } from '@forklift/notify'
import { createNotifyReceiver } from '@forklift/notify/testing'

if (sdNotify('READY=1', {}) !== false) throw new Error('sent without NOTIFY_SOCKET')
for (const abstract of [false, true]) {
  const receiver = await createNotifyReceiver({ abstract })
  try {
    if (!notifyStatus('2 workers', { env: receiver.env }) || !notifyReady({ env: receiver.env })) {
      throw new Error('a send failed')
    }
    const status = await receiver.waitFor('STATUS', { timeoutMs: 10_000 })
    await receiver.waitFor('READY=1', { timeoutMs: 10_000 })
    if (status.fields.STATUS !== '2 workers')
      throw new Error(`STATUS ${JSON.stringify(status.fields)}`)
  } finally {
    receiver.close()
  }
}
console.log('ok @forklift/notify')
