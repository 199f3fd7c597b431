import { closeSync, fstatSync, openSync } from 'node:fs'
import type { MinimalLogger } from '@forklift/log'

/** Options of {@link captureStdio}. */
export interface CaptureStdioOptions {
  /** Where stdout/stderr writes go from now on (`STDOUT: …` at info, `STDERR: …` at error). */
  logger: MinimalLogger
  /**
   * Leave fd 2 open: the log itself is written there (Swift keeps console log
   * fds open). Default false.
   */
  keepStderr?: boolean
}

/** True when fds `a` and `b` are the same open file (for example one pipe given as both stdout and stderr). */
export function sameOpenFile(a: number, b: number): boolean {
  try {
    const sa = fstatSync(a)
    const sb = fstatSync(b)
    return sa.dev === sb.dev && sa.ino === sb.ino
  } catch {
    return false
  }
}

// Node has no dup2: closing fd N and opening a file gives back fd N, because
// open(2) returns the lowest free descriptor and every lower one is in use
// (fds 0..N-1 are either the original stdio or /dev/null we just put there).
function pointAtDevNull(fd: number): void {
  const flags = fd === 0 ? 'r' : 'w'
  try {
    closeSync(fd)
  } catch {
    // already closed: still make sure it points somewhere harmless below
  }
  const extra: number[] = []
  try {
    for (;;) {
      const got = openSync('/dev/null', flags)
      if (got === fd) return
      if (got > fd) {
        // a lower-numbered descriptor than ours was free and is now taken;
        // ours is occupied by someone else, which cannot happen after close.
        closeSync(got)
        return
      }
      extra.push(got)
    }
  } finally {
    for (const e of extra) closeSync(e)
  }
}

function toLines(chunk: unknown): string[] {
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString()
  return text.split('\n').filter((line) => line.trim() !== '')
}

function redirect(stream: NodeJS.WriteStream, log: (line: string) => void): void {
  stream.write = ((chunk: unknown, encoding?: unknown, cb?: unknown) => {
    for (const line of toLines(chunk)) log(line)
    const done = typeof encoding === 'function' ? encoding : cb
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)())
    return true
  }) as typeof stream.write
}

/**
 * Swift's capture_stdio: points fds 0, 1 (and 2 unless `keepStderr`) at
 * /dev/null — which is how swift-init learns that a server is ready: it reads
 * the server's stdout (and stderr, through the same pipe) until EOF — and
 * turns later `process.stdout` / `process.stderr` writes (console.log, stray
 * prints of app code) into log lines. Uncaught exceptions are logged as
 * `UNCAUGHT EXCEPTION` before Node's default handling ends the process.
 * This is process-wide by design; call it once, when the server is ready.
 */
export function captureStdio(options: CaptureStdioOptions): void {
  const { logger, keepStderr = false } = options
  pointAtDevNull(0)
  pointAtDevNull(1)
  if (!keepStderr) pointAtDevNull(2)
  redirect(process.stdout, (line) => logger.info(`STDOUT: ${line}`))
  if (!keepStderr) redirect(process.stderr, (line) => logger.error(`STDERR: ${line}`))
  // fatal where the logger has it (ours, pino's); a minimal one says error
  const fatal = (logger as Partial<Record<'fatal', MinimalLogger['error']>>).fatal ?? logger.error
  process.on('uncaughtExceptionMonitor', (err) => {
    fatal.call(logger, { err }, 'UNCAUGHT EXCEPTION')
  })
}
