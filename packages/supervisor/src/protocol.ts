/**
 * The one IPC protocol between a supervisor and the children it forks: pool
 * workers (`runPoolWorker`) and launcher workers. Every message carries
 * `forklift: 1`, so that a child's own IPC traffic never collides with ours,
 * and a `type` that no other message shares. Messages are JSON (children are
 * forked with `serialization: 'json'`). Nothing here loads a module: both
 * sides import it, and a worker's memory is measured.
 */
import type { CreateLoggerOptions } from '@forklift/log'

/** The stdio slot (descriptor number in the child) that carries a handed-down listening socket. */
export const LISTEN_FD = 4

/** How long a child may wind down once its parent is gone, unless its init message says otherwise. */
export const DEFAULT_ORPHAN_GRACE_MS = 1000

/** How the pool worker gets its listening socket. */
export type ListenPlan =
  | { kind: 'fd'; fd: number; backlog: number }
  | {
      kind: 'reusePort'
      port: number
      host?: string
      ipv6Only?: boolean
      backlog: number
    }

/** Parent → pool worker: everything it needs to build its server and listen. */
export interface PoolInitMessage {
  forklift: 1
  type: 'pool-init'
  index: number
  generation: number
  data: unknown
  listen: ListenPlan
  /** During a drain, how long an idle keep-alive connection may take to send one more request. */
  idleGraceMs: number
  /** How long the worker may drain once its parent is gone. */
  orphanGraceMs: number
  /** Send a `heartbeat` this often once listening (the pool's worker liveness check); absent = never. */
  heartbeatMs?: number
  /** Ask to be replaced (`pool-recycle`) after serving this many requests (max_requests + jitter); absent = never. */
  maxRequests?: number
}

/** Parent → pool worker: stop accepting, finish in-flight requests, exit. */
export interface PoolDrainMessage {
  forklift: 1
  type: 'pool-drain'
  idleGraceMs: number
}

/**
 * Parent → pool worker: the parent is about to re-exec itself (a new image,
 * same pid). When the IPC channel closes, keep serving until SIGHUP (the new
 * image's workers listen), then drain and exit 0; drain at once if the parent
 * pid changes (the parent died instead), and after `timeoutMs` at the latest.
 */
export interface PoolHandoverMessage {
  forklift: 1
  type: 'pool-handover'
  parentPid: number
  idleGraceMs: number
  timeoutMs: number
}

/**
 * Parent → pool worker, with the shared listening socket attached (a fresh
 * descriptor of it): the answer to `pool-listen-again`.
 */
export interface PoolSocketMessage {
  forklift: 1
  type: 'pool-socket'
}

/** A service as a launcher worker imports it: the module resolved by the parent. */
export interface ResolvedServiceSpec {
  url: string
  export: string
  options?: JsonValue
  name: string
}

/** A JSON value: what can cross to a worker process. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue | undefined }

/** Parent → launcher worker: the service to run and how. */
export interface ServiceInitMessage {
  forklift: 1
  type: 'service-init'
  spec: ResolvedServiceSpec
  workerIndex: number
  respawns: number
  /** Seconds; 0 = wait forever. */
  gracefulShutdownTimeout: number
  restartMethod: 'reload' | 'mutate'
  log: CreateLoggerOptions | false
  /** How long the worker may spend stopping once its parent is gone. */
  orphanGraceMs: number
}

/** Child → parent: booted and listening for its init (launcher workers; a pool is sent its init at fork). */
export interface HelloMessage {
  forklift: 1
  type: 'hello'
}

/**
 * Parent → launcher worker: restart in place (restart_method `mutate`) with
 * these options: the service's `mutate(options)`, then `reset()`; it reports
 * `ready` again when done.
 */
export interface ServiceMutateMessage {
  forklift: 1
  type: 'service-mutate'
  options: JsonValue | undefined
}

/**
 * Child → parent: it serves — a pool worker listens (`address`), a launcher
 * worker's service started (again after each restart in place).
 */
export interface ReadyMessage {
  forklift: 1
  type: 'ready'
  address?: string | { address: string; family: string; port: number } | null
}

/** Child → parent: it could not start; it exits next. */
export interface FailedMessage {
  forklift: 1
  type: 'failed'
  error: SerializedError
}

/** Child → parent: it received this signal (so the parent can tell a foreign SIGTERM from its own). */
export interface SignalMessage {
  forklift: 1
  type: 'signal'
  signal: NodeJS.Signals
}

/**
 * Pool worker → parent: it stopped accepting at its connection limit (which
 * closed its descriptor of the shared socket) and is below it again: send
 * the socket (`pool-socket`) so that it can accept anew.
 */
export interface PoolListenAgainMessage {
  forklift: 1
  type: 'pool-listen-again'
}

/** Pool worker → parent: its event loop ran (sent every `heartbeatMs` of its init). */
export interface HeartbeatMessage {
  forklift: 1
  type: 'heartbeat'
}

/** Pool worker → parent: replace me (it served `requests`, its `maxRequests`); it keeps serving until told to drain. */
export interface PoolRecycleMessage {
  forklift: 1
  type: 'pool-recycle'
  requests: number
}

/** Every message a supervisor sends. */
export type ParentMessage =
  | PoolInitMessage
  | PoolDrainMessage
  | PoolHandoverMessage
  | PoolSocketMessage
  | ServiceInitMessage
  | ServiceMutateMessage
/** Every message a child sends. */
export type ChildMessage =
  | HelloMessage
  | ReadyMessage
  | FailedMessage
  | SignalMessage
  | PoolListenAgainMessage
  | HeartbeatMessage
  | PoolRecycleMessage

/** True for a message of this protocol (either direction). */
export function isProtocolMessage(value: unknown): value is ParentMessage | ChildMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { forklift?: unknown }).forklift === 1 &&
    typeof (value as { type?: unknown }).type === 'string'
  )
}

/** An error as it crosses the IPC channel. */
export interface SerializedError {
  name: string
  message: string
  code?: string
  stack?: string
}

/** Flattens an error for IPC. */
export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) }
  const code = (err as { code?: unknown }).code
  const out: SerializedError = { name: err.name, message: err.message }
  if (typeof code === 'string') out.code = code
  if (err.stack) out.stack = err.stack
  return out
}

/** Rebuilds an error sent over IPC (its class is lost; name, message, code and stack are kept). */
export function deserializeError(data: SerializedError): Error {
  const err = new Error(data.message)
  err.name = data.name
  if (data.code) (err as { code?: string }).code = data.code
  if (data.stack) err.stack = data.stack
  return err
}
