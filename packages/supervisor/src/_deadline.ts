// A stop deadline that holds whatever the main thread does: a worker thread
// (its own event loop) that interrupts the main thread's JavaScript when the
// deadline passed, and SIGKILLs the process if that was not enough.
//
// Why a thread rather than a helper process with a pre-armed timer: it
// shares the process, so it can interrupt the stuck JavaScript and let the
// main thread exit with status 1 and its log line (a helper could only
// signal, and a handled signal waits for the blocked loop too: only SIGKILL
// would do); it dies with the process, so it can never outlive it and
// signal a recycled pid; and it costs no fork. It is started only when a
// stop begins, so a running service pays nothing.
import { Worker } from 'node:worker_threads'

/** After the deadline, how long the main loop has to act on its own before the thread interrupts it. */
export const INTERRUPT_AFTER_MS = 250
/** After the deadline, when the thread SIGKILLs a process that is still alive. */
export const KILL_AFTER_MS = 1500

const THREAD = new URL('./_deadline-thread.js', import.meta.url)

/**
 * Arms the deadline `ms` from now; returns the function that disarms it.
 * Never throws: when no thread can be started, `onError` is told and the
 * main loop's own timers are all that is left.
 */
export function armDeadline(ms: number, onError: (err: Error) => void): () => void {
  const now = Date.now()
  let worker: Worker
  try {
    worker = new Worker(THREAD, {
      workerData: { interruptAt: now + ms + INTERRUPT_AFTER_MS, killAt: now + ms + KILL_AFTER_MS },
      // Nothing of the main thread's environment is needed, and stdout is not touched.
      env: {},
      stdout: true,
      stderr: true,
    })
  } catch (err) {
    onError(err as Error)
    return () => {}
  }
  // It must never keep the process alive: it only ends one.
  worker.unref()
  worker.on('error', onError)
  let armed = true
  return () => {
    if (!armed) return
    armed = false
    void worker.terminate()
  }
}
