// The body of the stop-deadline thread (see ./_deadline.ts). It runs on its
// own event loop, so a service that blocks the main thread cannot hold it
// back. At `interruptAt` it asks V8, through the inspector, to terminate the
// JavaScript running on the main thread (an interrupt V8 honours even in a
// `for (;;) {}`): the main loop then runs its overdue deadline timer, logs,
// and exits with status 1. At `killAt`, if the process still lives (stuck in
// a system call, or a Node built without the inspector), SIGKILL.
import { workerData } from 'node:worker_threads'

const { interruptAt, killAt } = workerData as { interruptAt: number; killAt: number }

setTimeout(
  () => {
    import('node:inspector')
      .then(({ Session }) => {
        const session = new Session()
        session.connectToMainThread()
        session.post('Runtime.terminateExecution')
      })
      .catch(() => {})
  },
  Math.max(0, interruptAt - Date.now()),
)

setTimeout(() => process.kill(process.pid, 'SIGKILL'), Math.max(0, killAt - Date.now()))
