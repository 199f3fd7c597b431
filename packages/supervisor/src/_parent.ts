// The child's side of the core: talking to the supervisor that forked us
// (sends that never throw, and that an exit can wait for) and ending soon
// after it dies. Pool workers and launcher workers both run on it.
import {
  type ChildMessage,
  DEFAULT_ORPHAN_GRACE_MS,
  isProtocolMessage,
  type ParentMessage,
} from './protocol.js'
import { exitWhenParentDies } from './watchdog.js'

const inFlight = new Set<Promise<void>>()

/**
 * Sends a message to the parent. Resolves once it is on its way, or at once
 * when the channel is gone (a dead parent is the watchdog's business, never
 * an uncaught EPIPE).
 */
export function tellParent(message: ChildMessage): Promise<void> {
  if (!process.connected || !process.send) return Promise.resolve()
  const p = new Promise<void>((resolve) => {
    try {
      process.send!(message, undefined, {}, () => resolve())
    } catch {
      resolve()
    }
  })
  inFlight.add(p)
  p.then(() => inFlight.delete(p))
  return p
}

/** Exits once the messages already sent are on their way (bounded: the parent may be gone). */
export async function exitAfterTelling(code: number): Promise<never> {
  if (inFlight.size > 0) {
    await Promise.race([Promise.all(inFlight), new Promise((r) => setTimeout(r, 500))])
  }
  process.exit(code)
}

/** Calls `handler` for every message of `type` from the parent; returns a function that stops. */
export function onParentMessage<T extends ParentMessage['type']>(
  type: T,
  handler: (message: Extract<ParentMessage, { type: T }>) => void,
): () => void {
  const listener = (message: unknown) => {
    if (isProtocolMessage(message) && message.type === type) {
      handler(message as Extract<ParentMessage, { type: T }>)
    }
  }
  process.on('message', listener)
  return () => process.off('message', listener)
}

/** The next message of `type` from the parent. */
export function nextParentMessage<T extends ParentMessage['type']>(
  type: T,
): Promise<Extract<ParentMessage, { type: T }>> {
  return new Promise((resolve) => {
    const stop = onParentMessage(type, (message) => {
      stop()
      resolve(message)
    })
  })
}

/**
 * Ends this process soon after the parent dies: `onParentDeath` may wind
 * down for the grace (DEFAULT_ORPHAN_GRACE_MS until `setGraceMs` is told the
 * one of the init message). The IPC channel's disconnect is the signal:
 * nothing polls while the child idles.
 */
export function watchParent(options: {
  onParentDeath: () => void | Promise<void>
  exitCode?: number
}): { setGraceMs(ms: number): void; stop(): void } {
  let graceMs = DEFAULT_ORPHAN_GRACE_MS
  const arm = () =>
    exitWhenParentDies({
      graceMs,
      onParentDeath: options.onParentDeath,
      ...(options.exitCode !== undefined ? { exitCode: options.exitCode } : {}),
    })
  let undo = arm()
  return {
    setGraceMs(ms: number) {
      if (ms === graceMs) return
      graceMs = ms
      undo()
      undo = arm()
    },
    stop() {
      undo()
    },
  }
}
