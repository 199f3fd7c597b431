/**
 * The receiving end of sd_notify, for tests: a unix datagram socket bound to
 * a temp path (or an abstract name) that records every notification and who
 * sent it, so a test can start a daemon with
 * `env: { ...process.env, ...receiver.env }` and await `READY=1`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { UnixDatagramSocket } from '@forklift/posix/unix-dgram'

/** One datagram received: its raw text, its `KEY=value` assignments and its sender. */
export interface Notification {
  text: string
  fields: Record<string, string>
  /** `Date.now()` when it arrived. */
  at: number
  /** The sending process, from the kernel (what systemd checks for `NotifyAccess=main`). */
  pid: number | undefined
}

/** A bound notification socket; close it when done. */
export interface NotifyReceiver {
  /** The `NOTIFY_SOCKET` value: the path, or `@name` when abstract. */
  readonly socket: string
  /** `{ NOTIFY_SOCKET }`, to spread into a child's environment. */
  readonly env: { NOTIFY_SOCKET: string }
  /** Every notification so far, oldest first. */
  readonly received: readonly Notification[]
  /**
   * Resolves with the first notification (already received or still to come)
   * that matches: a `KEY=value` assignment it must contain, a `KEY` it must
   * have, or a predicate. Notifications before `after` (an index into
   * `received`) are skipped. Rejects after `timeoutMs` (default 10 s),
   * listing what did arrive.
   */
  waitFor(
    match: string | ((n: Notification) => boolean),
    options?: { timeoutMs?: number; after?: number },
  ): Promise<Notification>
  /** Closes the socket and removes its temp dir; idempotent. */
  close(): void
}

/** Parses a datagram's `KEY=value` lines. */
export function parseNotification(text: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0) fields[line.slice(0, eq)] = line.slice(eq + 1)
  }
  return fields
}

function matches(match: string | ((n: Notification) => boolean), n: Notification): boolean {
  if (typeof match === 'function') return match(n)
  const eq = match.indexOf('=')
  return eq > 0 ? n.fields[match.slice(0, eq)] === match.slice(eq + 1) : match in n.fields
}

/**
 * Binds a notification receiver: on a short path in a new temp dir by
 * default, or on a unique abstract name with `{ abstract: true }`.
 */
export async function createNotifyReceiver(
  options: { abstract?: boolean } = {},
): Promise<NotifyReceiver> {
  // Unix socket paths are limited to 108 bytes: keep the dir short.
  const dir = options.abstract ? undefined : mkdtempSync(join(tmpdir(), 'fl-ntf-'))
  const socketName = dir
    ? join(dir, 'notify.sock')
    : `@forklift-notify-${process.pid}-${Math.random().toString(36).slice(2)}`
  const sock = new UnixDatagramSocket()
  try {
    sock.bind(socketName)
  } catch (err) {
    sock.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
    throw err
  }
  const received: Notification[] = []
  const waiters = new Set<() => void>()
  sock.on('message', (m) => {
    const text = m.data.toString('utf8')
    received.push({ text, fields: parseNotification(text), at: Date.now(), pid: m.pid })
    for (const w of waiters) w()
  })
  let closed = false

  return {
    socket: socketName,
    env: { NOTIFY_SOCKET: socketName },
    received,
    waitFor(match, { timeoutMs = 10_000, after = 0 } = {}) {
      return new Promise((resolve, reject) => {
        let next = after
        const check = () => {
          for (; next < received.length; next++) {
            const n = received[next]!
            if (matches(match, n)) {
              done()
              resolve(n)
              return
            }
          }
        }
        const timer = setTimeout(() => {
          done()
          reject(
            new Error(
              `no notification matching ${String(match)} within ${timeoutMs} ms; received: ${JSON.stringify(received.map((n) => n.text))}`,
            ),
          )
        }, timeoutMs)
        const done = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      })
    },
    close() {
      if (closed) return
      closed = true
      sock.close()
      if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
    },
  }
}
