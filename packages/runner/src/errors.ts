import { ForkliftError } from '@forklift/errors'

/** Stable codes of the runner's own failures (config, socket and privilege errors keep theirs). */
export type RunnerErrorCode =
  /** A worker could not start (its module failed, or it exited before listening). */
  'E_RUNNER_WORKER_START'

/** A failure of the runner itself; the message is one line for operators. */
export class RunnerError extends ForkliftError<RunnerErrorCode> {
  override name = 'RunnerError'
}
