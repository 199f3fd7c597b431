/** What {@link waitFor} resolves with: the check's value, never a falsy one. */
export type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>

/**
 * Polls `check` every `intervalMs` until it returns a truthy value, which it
 * resolves with. A check that throws counts as not yet (the process may be
 * between writes); after `timeoutMs` it rejects naming `what` and the last error.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v) return v as Truthy<T>
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      )
    }
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}
