// The modules a config names: a paste `use = ./app.mjs#app`, a cinder
// `volume_driver = my-driver#create`, an oslo service module. One way to find
// them, so a path or package name means the same in every file forklift reads.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { isAbsolute, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ForkliftError, isForkliftError } from '@forklift/errors'

/** Stable codes of a module reference that names nothing. */
export type ModuleRefErrorCode = 'E_MODULE_NOT_FOUND' | 'E_MODULE_RELATIVE'

/** A module specifier that resolves to no module (callers wrap it in their own error). */
export class ModuleRefError extends ForkliftError<ModuleRefErrorCode> {
  override name = 'ModuleRefError'
}

/** True for a ModuleRefError, also one thrown by another copy of this package. */
export function isModuleRefError(value: unknown): value is ModuleRefError {
  return isForkliftError(value, 'ModuleRefError')
}

/** Where a specifier is looked for. */
export interface ModuleSearch {
  /** What `./x.mjs` and `../x.js` are relative to (a config file's directory); without it they are refused. */
  baseDir?: string
  /** Directories a package name is resolved from, in order (Node's resolution from each). */
  from: readonly string[]
  /** Tried last for a package name: the caller's own resolver, e.g. `(s) => import.meta.resolve(s)`. */
  fallback?: (specifier: string) => string
}

const URL_SCHEME = /^[a-z][a-z0-9+.-]*:/i

/**
 * The URL `import()` should load for `specifier`: a URL (`file:`, `node:`,
 * `data:`) as it is; an absolute path or one relative to `baseDir` if the file
 * exists; a package name from the first of `from` that has it, then
 * `fallback`. Throws ModuleRefError naming every place it looked.
 */
export function resolveModuleUrl(specifier: string, search: ModuleSearch): string {
  if (URL_SCHEME.test(specifier)) return specifier
  const relative = specifier.startsWith('./') || specifier.startsWith('../')
  if (relative || isAbsolute(specifier)) {
    if (relative && search.baseDir === undefined) {
      throw new ModuleRefError(
        'E_MODULE_RELATIVE',
        `${specifier}: a relative module path needs a base directory here; give an absolute path`,
      )
    }
    const file = resolve(search.baseDir ?? '/', specifier)
    if (!existsSync(file))
      throw new ModuleRefError('E_MODULE_NOT_FOUND', `no such module file ${file}`)
    return pathToFileURL(file).href
  }
  for (const dir of search.from) {
    try {
      return pathToFileURL(createRequire(join(dir, 'noop.js')).resolve(specifier)).href
    } catch {
      // the next place
    }
  }
  if (search.fallback) {
    try {
      return search.fallback(specifier)
    } catch {
      // reported below
    }
  }
  throw new ModuleRefError(
    'E_MODULE_NOT_FOUND',
    `cannot find package "${specifier}" from ${search.from.join(' or ')}`,
  )
}
