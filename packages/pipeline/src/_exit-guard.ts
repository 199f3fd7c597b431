import type { PasteUse } from '@forklift/config'
import { PipelineError } from './errors.js'

/** Something loading while the process could end under it: a module import or a factory call. */
interface Loading {
  use: PasteUse
  /** `the module`, `the app factory`... */
  what: string
  report: (err: PipelineError) => void
}

const loading = new Set<Loading>()
// beforeExit comes only when the event loop ran dry, never after process.exit().
let drained = false

function onBeforeExit(): void {
  drained = true
}

function onExit(code: number): void {
  // The innermost load (a composite's factory loads other apps) is the one that was running.
  const first = [...loading].at(-1)
  if (first === undefined) return
  const problem = drained
    ? `${first.use.raw}: the process ran out of work while ${first.what} was loading (a top-level await or a promise that nothing settles)`
    : `${first.use.raw}: process.exit(${code}) was called while ${first.what} was loading`
  try {
    first.report(new PipelineError('E_PIPELINE_MODULE_EXIT', first.use.where, problem))
  } finally {
    // A load that never finished is a failure, whatever status the module chose.
    if (!code) process.exitCode = 1
  }
}

/**
 * Runs `load` (an import or a factory call) with a watch on the process: if
 * it exits before `load` settles — the module called process.exit(), or the
 * event loop ran dry under an await that nothing settles — `report` gets an
 * E_PIPELINE_MODULE_EXIT naming the `use =` (file, section, key), and a zero
 * exit status becomes 1. Otherwise a `--test-config` would end silently with
 * status 0, as if the app had loaded.
 */
export async function watchExit<T>(
  use: PasteUse,
  what: string,
  report: (err: PipelineError) => void,
  load: () => Promise<T>,
): Promise<T> {
  const entry: Loading = { use, what, report }
  if (loading.size === 0) {
    drained = false
    process.on('beforeExit', onBeforeExit)
    process.on('exit', onExit)
  }
  loading.add(entry)
  try {
    return await load()
  } finally {
    loading.delete(entry)
    if (loading.size === 0) {
      process.off('beforeExit', onBeforeExit)
      process.off('exit', onExit)
    }
  }
}
