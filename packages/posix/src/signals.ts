/**
 * The main thread's signal mask, for processes started with a signal blocked
 * (`node --disable-sigusr1` blocks SIGUSR1 in every thread): the signal then
 * waits, pending, until a handler exists and the thread unblocks it. Node has
 * no API for the mask; `process.on` alone never sees a blocked signal.
 */
import { native, syscallError } from './_native.js'
import { PosixError } from './errors.js'

// Built-ins by process.getBuiltinModule, not import: an ESM import of one
// builds a facade that reads every export, lazy ones too (~10 ms a process).
const { readFileSync } = process.getBuiltinModule('node:fs')
const { constants } = process.getBuiltinModule('node:os')

/** A signal a process can block and handle (not SIGKILL or SIGSTOP). */
export type CatchableSignal = Exclude<NodeJS.Signals, 'SIGKILL' | 'SIGSTOP'>

const NUMBERS = constants.signals as Record<string, number>
const NAMES = new Map(Object.entries(NUMBERS).map(([name, n]) => [n, name as NodeJS.Signals]))

function signalNumber(signal: string): number {
  const n = NUMBERS[signal]
  if (n === undefined || signal === 'SIGKILL' || signal === 'SIGSTOP') {
    throw new PosixError('E_ARGUMENT', `not a signal a process can block: ${signal}`)
  }
  return n
}

function mainThreadOnly(what: string): void {
  // Signals sent to the process reach the threads that do not block them: a
  // worker thread's mask is not the one that matters.
  // The addon's test (thread id == pid) where it has one: loading
  // worker_threads to ask costs each server process ~4 ms of CPU.
  const main =
    native().mainThread?.() ?? process.getBuiltinModule('node:worker_threads').isMainThread
  if (!main) throw new PosixError('E_MAIN_THREAD', `${what} works on the main thread only`)
}

function names(list: number[] | number, syscall: string): NodeJS.Signals[] {
  if (typeof list === 'number') throw syscallError(list, syscall)
  return list.map((n) => NAMES.get(n) ?? (`SIG${n}` as NodeJS.Signals))
}

function change(how: 1 | 2, signal: CatchableSignal): boolean {
  const r = native().sigmask(how, signalNumber(signal))
  if (r < 0) throw syscallError(r, 'pthread_sigmask', signal)
  return r === 1
}

/** Blocks `signal` on the main thread (it waits, pending); returns whether it was blocked already. */
export function blockSignal(signal: CatchableSignal): boolean {
  mainThreadOnly('blockSignal')
  return change(1, signal)
}

/**
 * Unblocks `signal` on the main thread; returns whether it was blocked. A
 * pending one is delivered at once, to its `process.on` handler or, with
 * none, to the default action (which for most signals ends the process):
 * prefer {@link onSignalQueued}.
 */
export function unblockSignal(signal: CatchableSignal): boolean {
  mainThreadOnly('unblockSignal')
  return change(2, signal)
}

/** The signals the calling thread blocks. */
export function blockedSignals(): NodeJS.Signals[] {
  return names(native().blockedSignals(), 'pthread_sigmask')
}

/** The signals raised while blocked and not delivered yet (a standard signal waits once, however often sent). */
export function pendingSignals(): NodeJS.Signals[] {
  return names(native().pendingSignals(), 'sigpending')
}

/** Per signal: how many onSignalQueued registrations hold it, and whether it was blocked before the first. */
const held = new Map<number, { count: number; wasBlocked: boolean }>()

/**
 * Installs `handler` for `signal`, then unblocks the signal on the main
 * thread, so one that arrived while it was blocked (queued, e.g. under
 * `node --disable-sigusr1`) reaches `handler` now and every later one too.
 * Returns a release function: it blocks the signal again when it was blocked
 * before (so it waits rather than taking its default action) and only then
 * removes the handler. Idempotent; several registrations of one signal share
 * the unblock until the last is released.
 */
export function onSignalQueued(
  signal: CatchableSignal,
  handler: NodeJS.SignalsListener,
): () => void {
  mainThreadOnly('onSignalQueued')
  const signo = signalNumber(signal)
  const m = native()
  process.on(signal, handler)
  let entry = held.get(signo)
  if (entry) {
    entry.count++
  } else {
    const r = m.sigmask(2, signo)
    if (r < 0) {
      process.off(signal, handler)
      throw syscallError(r, 'pthread_sigmask', signal)
    }
    entry = { count: 1, wasBlocked: r === 1 }
    held.set(signo, entry)
  }
  const mine = entry
  let released = false
  return () => {
    if (released) return
    released = true
    if (--mine.count === 0) {
      held.delete(signo)
      // Block before the handler goes: in between, a signal would take its
      // default action (SIGUSR1's ends the process).
      if (mine.wasBlocked) m.sigmask(1, signo)
    }
    process.off(signal, handler)
  }
}

/**
 * Makes `signal` follow `process.on`: while the process has no listener for
 * it, it stays blocked (a signal that arrives waits, pending); the first
 * `process.on(signal, …)` unblocks it (a waiting one then reaches that
 * listener), and removing the last listener blocks it again — before Node
 * restores the default action. For code that handles a signal with plain
 * `process.on` in a process started with it blocked (`--disable-sigusr1`).
 * Blocks the signal now unless a listener exists. Returns an undo function
 * (the mask stays as it is then).
 */
export function holdSignalUntilHandled(signal: CatchableSignal): () => void {
  mainThreadOnly('holdSignalUntilHandled')
  const signo = signalNumber(signal)
  const m = native()
  const apply = (how: 1 | 2) => {
    const r = m.sigmask(how, signo)
    if (r < 0) throw syscallError(r, 'pthread_sigmask', signal)
  }
  // Node's own hook starts the signal watcher on 'newListener', before the
  // listener is stored; ours runs after it, so the handler is in place when
  // a pending signal is delivered (Node dispatches it on a later tick).
  const onAdd = (event: string | symbol) => {
    if (event === signal && process.listenerCount(signal) === 0) apply(2)
  }
  // Node's hook restores the default action on 'removeListener': ours goes
  // first (prepended) so the signal is blocked by then.
  const onRemove = (event: string | symbol) => {
    if (event === signal && process.listenerCount(signal) === 0) apply(1)
  }
  const emitter = process as NodeJS.EventEmitter
  emitter.on('newListener', onAdd)
  emitter.prependListener('removeListener', onRemove)
  apply(process.listenerCount(signal) === 0 ? 1 : 2)
  return () => {
    emitter.off('newListener', onAdd)
    emitter.off('removeListener', onRemove)
  }
}

/** How a process treats one signal, as the kernel shows it (`/proc/<pid>/status`). */
export interface SignalDisposition {
  /** Blocked by its main thread: the signal waits. */
  blocked: boolean
  /** Ignored (SIG_IGN): the signal is dropped. */
  ignored: boolean
  /** A handler is installed. */
  caught: boolean
  /** Raised and not delivered yet (to the thread or the whole process). */
  pending: boolean
}

/**
 * How process `pid` (default this one) treats `signal` right now: whether
 * sending it would run a handler, wait, be dropped, or take the default
 * action (none of the four). Throws E_SYSCALL (ENOENT) when there is no such process.
 */
export function signalDisposition(signal: CatchableSignal, pid = process.pid): SignalDisposition {
  const bit = 1n << BigInt(signalNumber(signal) - 1)
  let status: string
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch (err) {
    throw new PosixError(
      'E_SYSCALL',
      `cannot read /proc/${pid}/status: ${(err as Error).message}`,
      {
        cause: err,
        errno: (err as NodeJS.ErrnoException).code ?? 'EIO',
        syscall: 'open',
      },
    )
  }
  const mask = (key: string) => {
    const m = new RegExp(`^${key}:\\s*([0-9a-f]+)$`, 'm').exec(status)
    return m ? (BigInt(`0x${m[1]}`) & bit) !== 0n : false
  }
  return {
    blocked: mask('SigBlk'),
    ignored: mask('SigIgn'),
    caught: mask('SigCgt'),
    pending: mask('SigPnd') || mask('ShdPnd'),
  }
}
