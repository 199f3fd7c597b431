// The IPC messages between a WorkerPool and runPoolWorker. Every message
// carries `forkliftPool: 1` so a worker module's own IPC traffic never
// collides with ours.

/** The stdio slot (fd number in the worker) that carries a handed-down listening socket. */
export const LISTEN_FD = 4

/** How the worker gets its listening socket. */
export type ListenPlan =
  | { kind: 'fd'; fd: number; backlog: number }
  | {
      kind: 'reusePort'
      port: number
      host?: string
      ipv6Only?: boolean
      backlog: number
    }

/** Parent → worker: everything the worker needs to build its server and listen. */
export interface InitMessage {
  forkliftPool: 1
  type: 'init'
  index: number
  generation: number
  data: unknown
  listen: ListenPlan
  /** During a drain, how long an idle keep-alive connection may take to send one more request. */
  idleGraceMs: number
  /** How long the worker may drain once its parent is gone. */
  orphanGraceMs: number
}

/** Parent → worker: stop accepting, finish in-flight requests, exit. */
export interface DrainMessage {
  forkliftPool: 1
  type: 'drain'
  idleGraceMs: number
}

/** Worker → parent: the server listens. */
export interface ListeningMessage {
  forkliftPool: 1
  type: 'listening'
  address: string | { address: string; family: string; port: number } | null
}

/** Worker → parent: the worker could not start (createServer threw, listen failed). */
export interface FailedMessage {
  forkliftPool: 1
  type: 'failed'
  message: string
  code?: string
}

export type ParentMessage = InitMessage | DrainMessage
export type WorkerMessage = ListeningMessage | FailedMessage

/** True for a message of the pool protocol. */
export function isPoolMessage(value: unknown): value is { forkliftPool: 1; type: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { forkliftPool?: unknown }).forkliftPool === 1 &&
    typeof (value as { type?: unknown }).type === 'string'
  )
}
