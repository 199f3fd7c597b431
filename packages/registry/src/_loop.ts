/** A running fixed-interval loop; `stop()` resolves once an in-flight run has finished. */
export interface Loop {
  stop(): Promise<void>
}

/**
 * Runs `fn` every `intervalMs` (fixed rate like oslo's FixedIntervalLoopingCall:
 * a slow run delays the next one instead of overlapping it). Errors are the
 * caller's to handle inside `fn`; an escaped one is swallowed so the loop lives.
 */
export function startLoop(
  fn: () => Promise<void> | void,
  intervalMs: number,
  options: { initialDelayMs?: number } = {},
): Loop {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let next = Date.now() + (options.initialDelayMs ?? intervalMs)

  const tick = async (): Promise<void> => {
    timer = undefined
    if (stopped) return
    running = (async () => {
      try {
        await fn()
      } catch {
        // the loop must outlive one bad run
      }
    })()
    await running
    running = undefined
    if (stopped) return
    next += intervalMs
    const now = Date.now()
    if (next < now) next = now
    timer = setTimeout(tick, next - now)
  }
  timer = setTimeout(tick, Math.max(0, next - Date.now()))

  return {
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      timer = undefined
      await running
    },
  }
}
