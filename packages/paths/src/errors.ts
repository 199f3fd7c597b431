import { ForkliftError } from '@forklift/errors'

/** Stable codes of {@link PathsError}. */
export type PathsErrorCode =
  | 'E_SERVER_NAME'
  | 'E_RUN_DIR_CREATE'
  | 'E_RUN_DIR_SYMLINK'
  | 'E_RUN_DIR_UNSAFE'
  | 'E_PID_FILE_OUTSIDE'
  | 'E_PID_FILE_WRITE'
  | 'E_PID_FILE_UNREADABLE'

/** A conf/pid path or pid file problem; the message names the path. */
export class PathsError extends ForkliftError<PathsErrorCode> {
  override name = 'PathsError'
  /** The file or directory concerned. */
  readonly path: string | undefined

  constructor(code: PathsErrorCode, message: string, options?: ErrorOptions & { path?: string }) {
    super(code, message, options)
    this.path = options?.path
  }
}
