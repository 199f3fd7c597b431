import type { ConfigWhere } from '@forklift/config'
import { describeWhere } from '@forklift/config'
import { ForkliftError } from '@forklift/errors'

/** Stable codes of the failures to build a pipeline from its modules. */
export type PipelineErrorCode =
  | 'E_PIPELINE_UNKNOWN_USE'
  | 'E_PIPELINE_MODULE_NOT_FOUND'
  | 'E_PIPELINE_MODULE_LOAD'
  | 'E_PIPELINE_NO_EXPORT'
  | 'E_PIPELINE_NOT_A_FACTORY'
  | 'E_PIPELINE_FACTORY'

/** A `use =` that names nothing usable, or a factory that failed; names file, section and key. */
export class PipelineError extends ForkliftError<PipelineErrorCode> {
  override name = 'PipelineError'
  readonly file: string | undefined
  readonly section: string | undefined
  readonly key: string | undefined
  readonly line: number | undefined

  constructor(
    code: PipelineErrorCode,
    where: ConfigWhere,
    problem: string,
    options?: ErrorOptions,
  ) {
    const prefix = describeWhere(where)
    super(code, prefix ? `${prefix}: ${problem}` : problem, options)
    this.file = where.file
    this.section = where.section
    this.key = where.key
    this.line = where.line
  }
}
