import { writeSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { dirname, resolve } from 'node:path'
import {
  type Config,
  type ConfigWhere,
  loadConfig,
  loadPasteApp,
  type PasteFilter,
  type PasteNode,
  type PasteUse,
  pasteDefaults,
} from '@forklift/config'
import { resolveModuleUrl } from '@forklift/config/module-ref'
import { formatError } from '@forklift/errors'
import { type MinimalLogger as Logger, silentLogger } from '@forklift/log'
import { watchExit } from './_exit-guard.js'
import { PipelineError } from './errors.js'
import type { AppLoader, Filter, RequestListener } from './types.js'
import { urlmap } from './urlmap.js'

/** The specifier of our own apps and filters: `use = forklift#healthcheck`. */
export const BUILTIN_SPECIFIER = 'forklift'

/** Python entry points with a Node equivalent, `<dist lower-case>#<entry>` → builtin export. */
const EGG_ALIASES: Record<string, string> = {
  'swift#healthcheck': 'healthcheck',
}

export interface LoadAppOptions {
  /** The paste name to load: `[pipeline:NAME]`, `[app:NAME]`, `[composite:NAME]`... Default `main`. */
  name?: string
  /**
   * Globals from the caller (Swift passes `log_name`): they fill in for
   * `[DEFAULT]` in interpolation and override it in every factory's globalConf.
   */
  globalConf?: Record<string, string>
  /** Default: silent. Gets a line per loaded object (debug) and unhandled app errors. */
  logger?: Logger
  /** An already loaded config of `configPath`, to skip reading it again. */
  config?: Config
  /**
   * Called, synchronously and from the process's 'exit' event, when the
   * process exits while a module or a factory is loading (it called
   * process.exit(), or awaits something nothing settles): the process is
   * ending, so this is the one chance to say why. Default: the error's one
   * line on stderr. Either way a zero exit status becomes 1.
   */
  onLoadExit?: (err: PipelineError) => void
}

/** The default onLoadExit: the one line, straight to fd 2 (the process is exiting: no stream would flush). */
function reportLoadExit(err: PipelineError): void {
  writeSync(2, `${formatError(err)}\n`)
}

/**
 * Builds the paste.deploy app `name` of a config file (or `.conf.d`
 * directory) from Node modules into one request listener. The listener
 * answers 500 (and logs) when the app throws or its promise rejects, instead
 * of letting one request take the worker down.
 */
export async function loadApp(
  configPath: string,
  options: LoadAppOptions = {},
): Promise<RequestListener> {
  const globalConf = options.globalConf ?? {}
  const logger = options.logger ?? silentLogger()
  const config =
    options.config ??
    loadConfig(configPath, { defaults: { ...pasteDefaults(configPath), ...globalConf } })
  const tree = loadPasteApp(config, options.name ?? 'main', globalConf)
  const built = await buildApp(tree, {
    config,
    logger,
    globalConf,
    ...(options.onLoadExit ? { onLoadExit: options.onLoadExit } : {}),
  })
  return catchErrors(built, logger)
}

/**
 * Builds an already resolved paste tree (see loadPasteApp) into a request
 * listener; `globalConf` is what was given to loadPasteApp, for composites
 * that load more apps.
 */
export async function buildApp(
  node: PasteNode,
  options: {
    config: Config
    logger?: Logger
    globalConf?: Record<string, string>
    onLoadExit?: (err: PipelineError) => void
  },
): Promise<RequestListener> {
  const { config, logger = silentLogger(), globalConf = {}, onLoadExit = reportLoadExit } = options
  return new Builder(config, logger, globalConf, onLoadExit).build(node)
}

class Builder {
  readonly #config: Config
  readonly #logger: Logger
  readonly #globalConf: Record<string, string>
  readonly #onLoadExit: (err: PipelineError) => void

  constructor(
    config: Config,
    logger: Logger,
    globalConf: Record<string, string>,
    onLoadExit: (err: PipelineError) => void,
  ) {
    this.#config = config
    this.#logger = logger
    this.#globalConf = globalConf
    this.#onLoadExit = onLoadExit
  }

  async build(node: PasteNode): Promise<RequestListener> {
    switch (node.type) {
      case 'app': {
        const factory = await this.#factory(node.use)
        return this.#call(node.use, 'app', () => factory(node.globalConf, node.localConf))
      }
      case 'composite': {
        const factory = await this.#factory(node.use)
        const loader: AppLoader = {
          getApp: (name, globalConf) =>
            this.build(
              loadPasteApp(this.#config, name, this.#globalConf, globalConf ?? node.globalConf),
            ),
        }
        return this.#call(node.use, 'app', () => factory(loader, node.globalConf, node.localConf))
      }
      case 'filter':
        throw new PipelineError(
          'E_PIPELINE_FACTORY',
          node.where,
          'a filter cannot be the app at the end of a pipeline',
        )
      case 'pipeline': {
        // paste.deploy creates the app first, then the filters in order, then wraps from the last.
        const app = await this.build(node.app)
        const filters: [PasteFilter, Filter][] = []
        for (const f of node.filters) filters.push([f, await this.#filter(f)])
        let listener = app
        for (const [f, wrap] of filters.reverse()) listener = this.#wrap(f, wrap, listener)
        return listener
      }
      case 'filtered': {
        const app = await this.build(node.app)
        return this.#wrap(node.filter, await this.#filter(node.filter), app)
      }
      case 'urlmap': {
        const routes = []
        for (const r of node.routes) routes.push({ ...r, app: await this.build(r.app) })
        const notFound = node.notFound ? await this.build(node.notFound) : undefined
        return urlmap(routes, notFound)
      }
    }
  }

  async #filter(node: PasteFilter): Promise<Filter> {
    const factory = await this.#factory(node.use)
    return this.#call(node.use, 'filter', () => factory(node.globalConf, node.localConf))
  }

  #wrap(node: PasteFilter, wrap: Filter, app: RequestListener): RequestListener {
    let wrapped: unknown
    try {
      wrapped = wrap(app)
    } catch (err) {
      throw new PipelineError(
        'E_PIPELINE_FACTORY',
        node.use.where,
        `${node.use.raw}: the filter threw while wrapping the app: ${formatError(err)}`,
        { cause: err },
      )
    }
    if (typeof wrapped !== 'function') {
      throw new PipelineError(
        'E_PIPELINE_FACTORY',
        node.use.where,
        `${node.use.raw}: the filter returned ${describe(wrapped)} for the app, expected a request listener`,
      )
    }
    return wrapped as RequestListener
  }

  // Calls a factory; its result must be a function (a listener, or a filter).
  async #call<T>(use: PasteUse, kind: 'app' | 'filter', make: () => unknown): Promise<T> {
    let made: unknown
    try {
      made = await watchExit(use, `the ${kind} factory`, this.#onLoadExit, async () => make())
    } catch (err) {
      throw new PipelineError(
        'E_PIPELINE_FACTORY',
        use.where,
        `${use.raw}: the ${kind} factory threw: ${formatError(err)}`,
        { cause: err },
      )
    }
    if (typeof made !== 'function') {
      const expected = kind === 'app' ? 'a request listener' : 'a function (app) => listener'
      throw new PipelineError(
        'E_PIPELINE_FACTORY',
        use.where,
        `${use.raw}: the ${kind} factory returned ${describe(made)}, expected ${expected}`,
      )
    }
    this.#logger.debug({ use: use.raw, section: use.where.section }, `pipeline: ${kind} loaded`)
    return made as T
  }

  // biome-ignore lint/suspicious/noExplicitAny: factories of three shapes, checked when called
  async #factory(use: PasteUse): Promise<(...args: any[]) => unknown> {
    let exportName: string
    let mod: Record<string, unknown>
    if (use.scheme === 'egg') {
      const alias = EGG_ALIASES[`${use.dist.toLowerCase()}#${use.entry}`]
      if (alias === undefined) {
        const known = Object.keys(EGG_ALIASES).map((k) => `egg:${k}`)
        throw new PipelineError(
          'E_PIPELINE_UNKNOWN_USE',
          use.where,
          `${use.raw} is a Python entry point with no Node equivalent (known: ${known.join(', ')}); name a Node module as <specifier>#<export>`,
        )
      }
      exportName = alias
      mod = await import('./_builtins.js')
    } else {
      exportName = use.exportName
      mod = await watchExit(use, 'the module', this.#onLoadExit, () => importModule(use))
    }
    if (!Object.hasOwn(mod, exportName) || mod[exportName] === undefined) {
      const names = Object.keys(mod).filter((k) => typeof mod[k] === 'function')
      throw new PipelineError(
        'E_PIPELINE_NO_EXPORT',
        use.where,
        `${use.raw}: the module has no export "${exportName}" (its functions: ${names.join(', ') || 'none'})`,
      )
    }
    const factory = mod[exportName]
    if (typeof factory !== 'function') {
      throw new PipelineError(
        'E_PIPELINE_NOT_A_FACTORY',
        use.where,
        `${use.raw}: the export "${exportName}" is ${describe(factory)}, not a factory function`,
      )
    }
    // biome-ignore lint/suspicious/noExplicitAny: see above
    return factory as (...args: any[]) => unknown
  }
}

async function importModule(
  use: Extract<PasteUse, { scheme: 'module' }>,
): Promise<Record<string, unknown>> {
  if (use.specifier === BUILTIN_SPECIFIER) return import('./_builtins.js')
  const url = resolveModule(use.specifier, use.baseDir, use.where, use.raw)
  try {
    return (await import(url)) as Record<string, unknown>
  } catch (err) {
    throw new PipelineError(
      'E_PIPELINE_MODULE_LOAD',
      use.where,
      `${use.raw}: loading the module failed: ${formatError(err)}`,
      { cause: err },
    )
  }
}

/**
 * A file path (`./x.mjs`, `../x.js`, `/abs/x.mjs`, `file:` URL) is taken
 * relative to the config's directory. A package name is resolved from the
 * config's directory, then from the main script's, then from this package
 * (for packages installed beside forklift).
 */
function resolveModule(specifier: string, baseDir: string, where: ConfigWhere, raw: string) {
  const from = [baseDir]
  if (process.argv[1]) from.push(dirname(resolve(process.argv[1])))
  try {
    return resolveModuleUrl(specifier, { baseDir, from, fallback: (s) => import.meta.resolve(s) })
  } catch (err) {
    throw new PipelineError('E_PIPELINE_MODULE_NOT_FOUND', where, `${raw}: ${formatError(err)}`, {
      cause: err,
    })
  }
}

/** Answers 500 for an app that throws or rejects, logs it, and keeps the worker serving. */
function catchErrors(listener: RequestListener, logger: Logger): RequestListener {
  // Nothing allocated per request unless the app returns a promise or throws.
  return (req: IncomingMessage, res: ServerResponse) => {
    try {
      const result = listener(req, res)
      if (result && typeof result.then === 'function') {
        result.then(undefined, (err: unknown) => failRequest(err, req, res, logger))
      }
    } catch (err) {
      failRequest(err, req, res, logger)
    }
  }
}

function failRequest(err: unknown, req: IncomingMessage, res: ServerResponse, logger: Logger) {
  logger.error({ err, method: req.method, url: req.url }, 'unhandled error in the app')
  if (!res.headersSent) {
    const body = 'Internal Server Error\n'
    res.writeHead(500, {
      'content-type': 'text/plain',
      'content-length': Buffer.byteLength(body),
    })
    res.end(req.method === 'HEAD' ? undefined : body)
  } else if (!res.writableEnded) {
    res.destroy()
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object'
  return typeof v === 'undefined' ? 'undefined' : `a ${typeof v}`
}
