/**
 * The user a Swift-style server runs as (`user` in its conf): checked before
 * anything is bound, dropped to where the server starts serving.
 */
import type { MinimalLogger as Logger } from '@forklift/log'
import { type CheckOptions, checkCanRunAs } from './check.js'
import { dropPrivileges } from './drop.js'

/** Swift's default `user`. */
export const DEFAULT_USER = 'swift'

/**
 * The user a server runs as: `user` from its conf (default `swift`). An empty
 * `user =` keeps whoever started it — for development deployments such as
 * examples/ that run as the developer and as root in CI alike (Swift has no
 * such value: an empty name fails its getpwnam).
 */
export function configuredUser(conf: Record<string, string>): string | undefined {
  const value = conf.user
  if (value === undefined) return DEFAULT_USER
  return value.trim() === '' ? undefined : value.trim()
}

/**
 * Checks that the process will be able to run as the configured `user` (it
 * exists; changing to it needs root), so that --test-config and start-up
 * fail before binding: checkCanRunAs, or nothing for an empty `user =`.
 */
export function checkUser(user: string | undefined, options: CheckOptions = {}): void {
  if (user !== undefined) checkCanRunAs(user, options)
}

/** Drops to the configured user (a no-op when keeping the current one). */
export function dropToUser(user: string | undefined, logger: Logger): void {
  if (user === undefined) {
    if (process.getuid?.() === 0) logger.warn('user is empty: running as root')
    return
  }
  dropPrivileges(user, { logger })
}
