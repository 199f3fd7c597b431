import { dirname, resolve } from 'node:path'
import { quoteInput, shortInput } from '@forklift/errors'
import type { Config } from './config.js'
import { ConfigError, type ConfigWhere } from './errors.js'

/**
 * What a `use =` names, parsed:
 * - `module`: `<specifier>#<export>` — a Node module and one of its exports.
 *   `specifier` is as written (`forklift`, `./my-app.mjs`, `some-pkg/sub`);
 *   `baseDir` is the config file's directory, against which relative paths
 *   and package names are resolved.
 * - `egg`: `egg:<dist>#<entry>` — a Python entry point, kept so a loader can
 *   map well-known ones (`egg:swift#healthcheck`) onto Node modules.
 */
export type PasteUse =
  | {
      scheme: 'module'
      raw: string
      specifier: string
      exportName: string
      baseDir: string
      where: ConfigWhere
    }
  | { scheme: 'egg'; raw: string; dist: string; entry: string; baseDir: string; where: ConfigWhere }

interface PasteBase {
  /** The name it was asked for (`main`, a pipeline element, a urlmap target). */
  name: string
  /** The section it came from (`app:proxy-server`). */
  section: string
  /** Where that section starts. */
  where: ConfigWhere
  /** `[DEFAULT]` plus the caller's globals plus `set key = value` overrides. */
  globalConf: Record<string, string>
  /** The section's own options, without DEFAULT keys (paste.deploy: the global wins). */
  localConf: Record<string, string>
}

/** `[app:x]`: an app factory `(globalConf, localConf) => listener`. */
export interface PasteApp extends PasteBase {
  type: 'app'
  use: PasteUse
}

/** `[filter:x]`: a filter factory `(globalConf, localConf) => (app) => listener`. */
export interface PasteFilter extends PasteBase {
  type: 'filter'
  use: PasteUse
}

/** `[composite:x]` with a factory other than urlmap: it gets a loader for other apps by name. */
export interface PasteComposite extends PasteBase {
  type: 'composite'
  use: PasteUse
}

/** `[pipeline:x] pipeline = f1 f2 app`: filters outermost first, then the app. */
export interface PastePipeline extends PasteBase {
  type: 'pipeline'
  filters: PasteFilter[]
  app: PasteNode
}

/** One route of a urlmap: a path prefix (without trailing `/`), optionally a host. */
export interface PasteRoute {
  path: string
  host?: string | undefined
  app: PasteNode
}

/**
 * `[composite:x] use = egg:Paste#urlmap` with `/path = app` entries; routes
 * sorted as paste's URLMap tries them (host-specific first, longest path first).
 */
export interface PasteUrlMap extends PasteBase {
  type: 'urlmap'
  routes: PasteRoute[]
  notFound?: PasteNode | undefined
}

/** An app wrapped by a filter: `filter-with = f` or a `[filter-app:x]` section with `next =`. */
export interface PasteFiltered extends PasteBase {
  type: 'filtered'
  filter: PasteFilter
  app: PasteNode
}

/** The resolved tree of a paste.deploy app. */
export type PasteNode =
  | PasteApp
  | PasteFilter
  | PasteComposite
  | PastePipeline
  | PasteUrlMap
  | PasteFiltered

type ObjectType = 'app' | 'filter'

// paste.deploy's _App and _Filter config_prefixes: one match per group, more than one is ambiguous.
const PREFIXES: Record<ObjectType, string[][]> = {
  app: [['app', 'application'], ['composite', 'composit'], ['pipeline'], ['filter-app']],
  filter: [['filter']],
}

const MAX_DEPTH = 50
// Depth does not bound the tree: urlmaps of sixteen routes to urlmaps of
// sixteen routes... would resolve 16^50 objects. Real pipelines have dozens.
const MAX_OBJECTS = 10_000

/**
 * Resolves the paste.deploy app `name` (default `main`: `[app:main]`,
 * `[pipeline:main]`, `[composite:main]`...) of a config into a tree, with
 * paste.deploy's semantics: `use = othersection` inherits that section's
 * options (the using section's own ones win); in a local section a key that
 * is also in `[DEFAULT]` is ignored (the global value wins) unless written
 * `set key = value`, which overrides the global value for this object and
 * everything it loads; `get key = globalname` copies a global value into the
 * local options. `globalConf` adds caller globals (they override DEFAULT,
 * and like DEFAULT keys they are not taken as local options).
 * `passedDown` is for a composite loading another app: the global conf it
 * hands down (paste.deploy's `loader.get_app(name, global_conf)`).
 */
export function loadPasteApp(
  config: Config,
  name = 'main',
  globalConf: Record<string, string> = {},
  passedDown?: Record<string, string>,
): PasteNode {
  return new Resolver(config, globalConf).context('app', name, passedDown ?? globalConf, 0)
}

/** Parses one `use =` value (throws E_CONFIG_VALUE naming `where` for anything else). */
export function parsePasteUse(raw: string, baseDir: string, where: ConfigWhere = {}): PasteUse {
  const value = raw.trim()
  const hash = value.lastIndexOf('#')
  const egg = /^egg:([^#]+)#(.+)$/i.exec(value)
  if (egg)
    return { scheme: 'egg', raw, dist: egg[1]!.trim(), entry: egg[2]!.trim(), baseDir, where }
  if (hash > 0 && hash < value.length - 1 && !/^[a-z][a-z0-9+.-]*:(?!\/)/i.test(value)) {
    return {
      scheme: 'module',
      raw,
      specifier: value.slice(0, hash).trim(),
      exportName: value.slice(hash + 1).trim(),
      baseDir,
      where,
    }
  }
  if (value.startsWith('config:') || value.startsWith('call:')) {
    throw new ConfigError(
      'E_CONFIG_VALUE',
      where,
      `${quoteInput(raw)}: the paste.deploy "${value.split(':')[0]}:" scheme is not supported; name a Node module as <specifier>#<export>`,
    )
  }
  throw new ConfigError(
    'E_CONFIG_VALUE',
    where,
    `${quoteInput(raw)} is neither a section of this config nor a module reference <specifier>#<export> (e.g. forklift#healthcheck, ./my-app.mjs#app)`,
  )
}

/** True for `use = egg:Paste#urlmap` (and our alias `forklift#urlmap`). */
export function isUrlMapUse(use: PasteUse): boolean {
  return use.scheme === 'egg'
    ? use.dist.toLowerCase() === 'paste' && use.entry === 'urlmap'
    : use.specifier === 'forklift' && use.exportName === 'urlmap'
}

class Resolver {
  readonly #config: Config
  readonly #baseDir: string
  readonly #defaults: Record<string, string>
  // paste.deploy's parser defaults: [DEFAULT] plus the top-level caller globals
  // (update_defaults). Only these keys are dropped from a section's local options.
  readonly #globalKeys: Set<string>
  #objects = 0

  constructor(config: Config, callerGlobals: Record<string, string>) {
    this.#config = config
    this.#baseDir = dirname(resolve(config.files[0] ?? config.path))
    this.#defaults = config.defaults()
    this.#globalKeys = new Set([...Object.keys(this.#defaults), ...Object.keys(callerGlobals)])
  }

  /** `passed`: the global conf handed down by the caller or the parent object. */
  context(
    type: ObjectType,
    name: string,
    passed: Record<string, string>,
    depth: number,
  ): PasteNode {
    if (depth > MAX_DEPTH) {
      throw new ConfigError(
        'E_CONFIG_VALUE',
        { file: this.#config.path },
        `paste.deploy references nested deeper than ${MAX_DEPTH} (a loop through ${quoteInput(name)}?)`,
      )
    }
    if (++this.#objects > MAX_OBJECTS) {
      throw new ConfigError(
        'E_CONFIG_VALUE',
        { file: this.#config.path },
        `paste.deploy references make more than ${MAX_OBJECTS} objects (apps used by several routes that use several more?)`,
      )
    }
    const section = this.#findSection(type, name)
    const where = this.#config.where(section)
    const globalConf: Record<string, string> = { ...this.#defaults, ...passed }
    const localConf: Record<string, string> = {}
    const additions: Record<string, string> = {}
    const gets: [string, string, ConfigWhere][] = []
    for (const [option, value] of Object.entries(this.#config.section(section))) {
      if (option.startsWith('set ')) {
        const key = option.slice(4).trim()
        additions[key] = value
        globalConf[key] = value
      } else if (option.startsWith('get ')) {
        gets.push([option.slice(4).trim(), value, this.#config.where(section, option)])
      } else if (this.#globalKeys.has(option)) {
        // paste.deploy: "It's a global option (?), so skip it" — the global value wins.
      } else {
        localConf[option] = value
      }
    }
    for (const [localKey, globalKey, w] of gets) {
      const v = globalConf[globalKey]
      if (v === undefined || !Object.hasOwn(globalConf, globalKey)) {
        throw new ConfigError(
          'E_CONFIG_MISSING_KEY',
          w,
          `no global option ${quoteInput(globalKey)} to get`,
        )
      }
      localConf[localKey] = v
    }
    let filterWith: string | undefined
    if (Object.hasOwn(localConf, 'filter-with')) {
      filterWith = localConf['filter-with']
      delete localConf['filter-with']
    }
    const prefix = section.slice(
      0,
      section.indexOf(':') < 0 ? section.length : section.indexOf(':'),
    )
    const base = { name, section, where, globalConf, localConf }
    let node: PasteNode
    if (prefix === 'pipeline') {
      node = this.#pipeline(base, depth)
    } else if (prefix === 'filter-app') {
      node = this.#filterApp(base, additions, depth)
    } else {
      node = this.#fromUse(type, prefix, base, additions, depth)
    }
    if (filterWith !== undefined) {
      const filter = this.context('filter', filterWith, globalConf, depth + 1) as PasteFilter
      node = { ...base, type: 'filtered', filter, app: node }
    }
    return node
  }

  #pipeline(base: PasteBase, depth: number): PastePipeline {
    const { localConf, section, globalConf } = base
    const where = this.#config.where(section, 'pipeline')
    if (!Object.hasOwn(localConf, 'pipeline')) {
      throw new ConfigError('E_CONFIG_MISSING_KEY', where, 'a pipeline section needs pipeline =')
    }
    const names = localConf.pipeline!.split(/\s+/).filter(Boolean)
    const extra = Object.keys(localConf).filter((k) => k !== 'pipeline')
    if (extra.length > 0) {
      throw new ConfigError(
        'E_CONFIG_SYNTAX',
        this.#config.where(section, extra[0]),
        `a pipeline section takes only "pipeline" (and set/DEFAULT options), found: ${extra.map((k) => shortInput(k)).join(', ')}`,
      )
    }
    if (names.length === 0) {
      throw new ConfigError('E_CONFIG_VALUE', where, 'pipeline is empty: it must end with an app')
    }
    const app = this.context('app', names[names.length - 1]!, globalConf, depth + 1)
    const filters = names
      .slice(0, -1)
      .map((n) => this.context('filter', n, globalConf, depth + 1) as PasteFilter)
    return { ...base, localConf: {}, type: 'pipeline', filters, app }
  }

  #filterApp(base: PasteBase, additions: Record<string, string>, depth: number): PasteFiltered {
    const { localConf, section, globalConf } = base
    if (!Object.hasOwn(localConf, 'next')) {
      throw new ConfigError(
        'E_CONFIG_MISSING_KEY',
        this.#config.where(section, 'next'),
        'a filter-app section needs next =',
      )
    }
    const nextName = localConf.next!
    const { next: _next, ...rest } = localConf
    const app = this.context('app', nextName, globalConf, depth + 1)
    const filter = this.#fromUse(
      'filter',
      'filter',
      { ...base, localConf: rest },
      additions,
      depth,
    ) as PasteFilter
    return { ...base, localConf: rest, type: 'filtered', filter, app }
  }

  #fromUse(
    type: ObjectType,
    prefix: string,
    base: PasteBase,
    additions: Record<string, string>,
    depth: number,
  ): PasteNode {
    const { localConf, section } = base
    const useWhere = this.#config.where(section, 'use')
    if (!Object.hasOwn(localConf, 'use')) {
      throw new ConfigError(
        'E_CONFIG_MISSING_KEY',
        useWhere,
        'no use = (name a module as <specifier>#<export>, e.g. forklift#hello)',
      )
    }
    const useValue = localConf.use!
    const { use: _use, ...own } = localConf
    const sectionRef = this.#sectionReference(type, useValue)
    let node: PasteNode
    if (sectionRef !== undefined) {
      // `use = othersection`: that section's context, our options on top of its own.
      const inner = this.context(type, sectionRef, base.globalConf, depth + 1)
      node = {
        ...inner,
        globalConf: { ...inner.globalConf, ...additions },
        localConf: { ...inner.localConf, ...own },
      }
    } else {
      const use = parsePasteUse(useValue, this.#baseDir, useWhere)
      const kind =
        type === 'filter' ? 'filter' : prefix.startsWith('composit') ? 'composite' : 'app'
      node = { ...base, localConf: own, type: kind, use }
    }
    // A node reached through `use =` keeps the name it was asked for.
    node = { ...node, name: base.name }
    if (node.type === 'composite' && isUrlMapUse(node.use)) return this.#urlmap(node, depth)
    return node
  }

  #sectionReference(type: ObjectType, use: string): string | undefined {
    const v = use.trim()
    if (v.includes('#') || v.includes(':') || v.includes('/')) return undefined
    return this.#candidates(type, v).length > 0 ? v : undefined
  }

  #urlmap(node: PasteComposite, depth: number): PasteUrlMap {
    const routes: PasteRoute[] = []
    let notFound: PasteNode | undefined
    for (const [key, appName] of Object.entries(node.localConf)) {
      const w = this.#config.where(node.section, key)
      if (key === 'not_found_app') {
        notFound = this.context('app', appName, node.globalConf, depth + 1)
        continue
      }
      const { host, path } = parseUrlMapKey(key, w)
      routes.push({ host, path, app: this.context('app', appName, node.globalConf, depth + 1) })
    }
    // paste's URLMap.sort_apps: longest host first (none last), then longest path first.
    routes.sort(
      (a, b) => (b.host ?? '').length - (a.host ?? '').length || b.path.length - a.path.length,
    )
    return {
      name: node.name,
      section: node.section,
      where: node.where,
      globalConf: node.globalConf,
      localConf: node.localConf,
      type: 'urlmap',
      routes,
      notFound,
    }
  }

  #candidates(type: ObjectType, name: string): string[] {
    const sections = this.#config.sectionNames()
    const found: string[] = []
    for (const group of PREFIXES[type]) {
      for (const prefix of group) {
        const matches = sections.filter((s) => {
          if (name === 'main' && s === prefix) return true
          return s.startsWith(`${prefix}:`) && s.slice(prefix.length + 1).trim() === name
        })
        if (matches.length > 0) {
          found.push(...matches)
          break
        }
      }
    }
    return found
  }

  #findSection(type: ObjectType, name: string): string {
    const found = this.#candidates(type, name)
    const wanted = PREFIXES[type].flat().map((p) => `[${p}:${shortInput(name)}]`)
    if (found.length === 0) {
      throw new ConfigError(
        'E_CONFIG_NO_SECTION',
        { file: this.#config.path },
        `no section for ${type} ${quoteInput(name)} (looked for ${wanted.join(', ')})`,
      )
    }
    if (found.length > 1) {
      throw new ConfigError(
        'E_CONFIG_DUPLICATE_SECTION',
        { file: this.#config.path },
        `${type} ${quoteInput(name)} is ambiguous: ${found.map((s) => `[${shortInput(s)}]`).join(', ')}`,
      )
    }
    return found[0]!
  }
}

/**
 * paste's parse_path_expression: `/path`, `domain example.com /path` or
 * `http://host[:port]/path`; the path without its trailing slash.
 */
function parseUrlMapKey(key: string, where: ConfigWhere): { host?: string; path: string } {
  let host: string | undefined
  let rest = key.trim()
  const domain = /^domain\s+(\S+)\s*(.*)$/i.exec(rest)
  if (domain) {
    host = domain[1]!.toLowerCase()
    rest = domain[2]!.trim() || '/'
  } else {
    const url = /^https?:\/\/([^/]+)(\/.*)?$/i.exec(rest)
    if (url) {
      host = url[1]!.toLowerCase()
      rest = url[2] ?? '/'
    }
  }
  if (!rest.startsWith('/')) {
    throw new ConfigError(
      'E_CONFIG_VALUE',
      where,
      'a urlmap entry must be "/path = app", "domain host /path = app" or "http://host/path = app"',
    )
  }
  return { host, path: rest.replace(/\/+$/, '') }
}
