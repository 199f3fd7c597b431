/**
 * Services described by where to find them (a live object cannot be handed
 * to another Node process): the spec, resolving its module in the parent,
 * and importing and building it where it runs.
 */
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { resolveModuleUrl } from '@forklift/config/module-ref'
import type { Logger } from '@forklift/log'
import { SupervisorError } from './errors.js'
import type { JsonValue, ResolvedServiceSpec } from './protocol.js'
import { isServiceBase, type ServiceBase } from './service.js'

export type { JsonValue, ResolvedServiceSpec } from './protocol.js'

/**
 * A service described by where to find it, since a live object cannot be
 * handed to another Node process: the worker imports `module`, takes its
 * `export` — a factory `(options, context) => ServiceBase | Promise<ServiceBase>`
 * or a class constructed as `new Export(options, context)` — and runs what it
 * returns.
 */
export interface ServiceSpec {
  /** An absolute path, a `file:` URL, or a package specifier resolved from `resolveFrom`. */
  module: string
  /** The export's name; default `default`. */
  export?: string
  /** Handed to the factory in every worker, the same for a respawned one. */
  options?: JsonValue
  /** For the logs; default `<module file>#<export>`. */
  name?: string
  /** Where a package specifier is resolved from: a file path or URL; default the current directory. */
  resolveFrom?: string
}

/** What a service factory gets besides its options. */
export interface ServiceContext {
  /** The spec's name. */
  name: string
  /** Which worker slot this is, 0 … workers-1 (stays the same when respawned). */
  workerIndex: number
  /** How many times this slot was started before (0 the first time). */
  respawns: number
  /** True inside a ProcessLauncher worker process. */
  inWorker: boolean
  logger: Logger
}

/** A factory named by a ServiceSpec. */
export type ServiceFactory = (
  options: JsonValue | undefined,
  context: ServiceContext,
) => ServiceBase | Promise<ServiceBase>

/** True for a ServiceSpec (rather than a live service). */
export function isServiceSpec(value: unknown): value is ServiceSpec {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { module?: unknown }).module === 'string' &&
    !isServiceBase(value)
  )
}

function fileOrPath(from: string): string {
  return from.startsWith('file:') ? fileURLToPath(from) : from
}

const SPEC_CONTRACT =
  'a spec { module: an absolute path, file: URL or package, export?, options?, name? }'
const SERVICE_METHODS = ['start', 'stop', 'wait', 'reset'] as const

/**
 * Throws SupervisorError E_SUPERVISOR_SERVICE_LOAD naming the contract that
 * `value` does not meet: a spec, or (with `live`) a service object too.
 */
export function checkServiceArg(value: unknown, live: boolean): void {
  if (isServiceBase(value) && live) return
  if (isServiceSpec(value)) return
  const expected = live
    ? `a service (an object with start(), stop(), wait() and reset()) or ${SPEC_CONTRACT}`
    : `${SPEC_CONTRACT} (a live object cannot be handed to a worker process)`
  let got: string
  if (value === null || typeof value !== 'object') got = value === null ? 'null' : typeof value
  else {
    const keys = Object.keys(value)
    const missing = SERVICE_METHODS.filter(
      (m) => typeof (value as Record<string, unknown>)[m] !== 'function',
    )
    got = `an object with ${keys.length ? `keys ${keys.join(', ')}` : 'no keys'}`
    if (live && missing.length < SERVICE_METHODS.length) got += ` (no ${missing.join(', ')})`
    else if ('module' in value) got += ' (module is not a string)'
    else got += ' (no module)'
  }
  throw new SupervisorError(
    'E_SUPERVISOR_SERVICE_LOAD',
    `launchService expects ${expected}; got ${got}`,
  )
}

/** Resolves a spec's module in this process; SupervisorError E_SUPERVISOR_SERVICE_LOAD if it cannot be found. */
export function resolveServiceSpec(spec: ServiceSpec): ResolvedServiceSpec {
  const exportName = spec.export ?? 'default'
  let url: string
  try {
    // No base directory: a relative path would mean one thing here and
    // another in the worker that imports it.
    url = resolveModuleUrl(spec.module, {
      from: [spec.resolveFrom ? dirname(fileOrPath(spec.resolveFrom)) : process.cwd()],
    })
  } catch (err) {
    throw new SupervisorError(
      'E_SUPERVISOR_SERVICE_LOAD',
      `cannot resolve service module ${spec.module}: ${(err as Error).message}`,
      { cause: err },
    )
  }
  const file = url.slice(url.lastIndexOf('/') + 1)
  const name = spec.name ?? `${file}#${exportName}`
  return { url, export: exportName, options: spec.options, name }
}

/** Imports a resolved spec and builds its service. */
export async function loadService(
  spec: ResolvedServiceSpec,
  context: ServiceContext,
): Promise<ServiceBase> {
  let mod: Record<string, unknown>
  try {
    mod = (await import(spec.url)) as Record<string, unknown>
  } catch (err) {
    throw new SupervisorError(
      'E_SUPERVISOR_SERVICE_LOAD',
      `cannot load service module ${spec.url}: ${(err as Error).message}`,
      { cause: err },
    )
  }
  const factory = mod[spec.export]
  if (typeof factory !== 'function') {
    throw new SupervisorError(
      'E_SUPERVISOR_SERVICE_LOAD',
      `service module ${spec.url} has no function export ${spec.export}`,
    )
  }
  const service = isClass(factory)
    ? new (factory as new (o: unknown, c: ServiceContext) => unknown)(spec.options, context)
    : await (factory as ServiceFactory)(spec.options, context)
  if (!isServiceBase(service)) {
    throw new SupervisorError(
      'E_SUPERVISOR_SERVICE_LOAD',
      `${spec.name} did not return a service (an object with start, stop, wait and reset)`,
    )
  }
  return service
}

function isClass(fn: unknown): boolean {
  return typeof fn === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(fn))
}
