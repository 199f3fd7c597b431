import { LocatedError } from '@forklift/config'

/** Stable codes of the failures to build a pipeline from its modules. */
export type PipelineErrorCode =
  | 'E_PIPELINE_UNKNOWN_USE'
  | 'E_PIPELINE_MODULE_NOT_FOUND'
  | 'E_PIPELINE_MODULE_LOAD'
  /** The process exited while a module or factory was loading (process.exit(), or nothing left to run). */
  | 'E_PIPELINE_MODULE_EXIT'
  | 'E_PIPELINE_NO_EXPORT'
  | 'E_PIPELINE_NOT_A_FACTORY'
  | 'E_PIPELINE_FACTORY'

/** A `use =` that names nothing usable, or a factory that failed; names file, section and key. */
export class PipelineError extends LocatedError<PipelineErrorCode> {
  override name = 'PipelineError'
}
