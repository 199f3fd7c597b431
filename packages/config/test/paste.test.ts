import { tempFiles } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import {
  ConfigError,
  loadConfig,
  loadPasteApp,
  type PasteApp,
  type PasteFiltered,
  type PastePipeline,
  type PasteUrlMap,
  pasteDefaults,
} from '../src/index.js'
import { ini } from './helpers.js'

function load(text: string, name?: string) {
  const { dir, write } = tempFiles()
  const file = write('proxy-server.conf', ini(text))
  return {
    dir,
    file,
    node: loadPasteApp(loadConfig(file, { defaults: pasteDefaults(file) }), name),
  }
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).not.toContain('\n')
    return (err as ConfigError).code
  }
  return undefined
}

describe('loadPasteApp', () => {
  it('parses a pipeline of filters ending in an app, with module references', () => {
    const { dir, file, node } = load(`
      [DEFAULT]
      bind_port = 8080
      user = swift

      [pipeline:main]
      pipeline = catch_errors  healthcheck
          proxy-server

      [filter:catch_errors]
      use = ./filters.mjs#catchErrors

      [filter:healthcheck]
      use = egg:swift#healthcheck
      disable_path = /tmp/disabled

      [app:proxy-server]
      use = forklift#hello
      message = hi from %(here)s
    `)
    expect(node.type).toBe('pipeline')
    const p = node as PastePipeline
    expect(p.name).toBe('main')
    expect(p.section).toBe('pipeline:main')
    expect(p.where).toMatchObject({ file, section: 'pipeline:main', line: 5 })
    expect(p.filters.map((f) => f.name)).toEqual(['catch_errors', 'healthcheck'])
    expect(p.filters[0]!.use).toMatchObject({
      scheme: 'module',
      specifier: './filters.mjs',
      exportName: 'catchErrors',
      baseDir: dir,
    })
    expect(p.filters[1]!.use).toMatchObject({ scheme: 'egg', dist: 'swift', entry: 'healthcheck' })
    expect(p.filters[1]!.localConf).toEqual({ disable_path: '/tmp/disabled' })
    const app = p.app as PasteApp
    expect(app.type).toBe('app')
    expect(app.use).toMatchObject({ scheme: 'module', specifier: 'forklift', exportName: 'hello' })
    expect(app.localConf).toEqual({ message: `hi from ${dir}` })
    expect(app.globalConf).toEqual({
      here: dir,
      __file__: file,
      bind_port: '8080',
      user: 'swift',
    })
  })

  it('ignores a local key that is also in DEFAULT unless written `set key = value`', () => {
    const { node } = load(`
      [DEFAULT]
      log_level = INFO
      user = swift
      workers = 2

      [pipeline:main]
      pipeline = f app
      set workers = 4
      set extra = from-pipeline

      [filter:f]
      use = ./f.mjs#f
      log_level = DEBUG

      [app:app]
      use = ./a.mjs#app
      set log_level = WARNING
      user = ignored
      own = mine
      extra = kept
    `)
    const p = node as PastePipeline
    const filter = p.filters[0]!
    // The plain local log_level loses to the global one (paste.deploy: "a global option, skip it").
    expect(filter.localConf).toEqual({})
    expect(filter.globalConf.log_level).toBe('INFO')
    // `set` in the pipeline section reaches everything the pipeline loads.
    expect(filter.globalConf.workers).toBe('4')
    const app = p.app as PasteApp
    // Only DEFAULT keys (and top-level caller globals) are dropped from the local options,
    // not keys a parent `set`: paste.deploy's `option in parser.defaults()`.
    expect(app.localConf).toEqual({ own: 'mine', extra: 'kept' })
    expect(app.globalConf).toMatchObject({
      log_level: 'WARNING',
      user: 'swift',
      workers: '4',
      extra: 'from-pipeline',
    })
  })

  it('follows `use = othersection`, the using section`s options winning', () => {
    const { node } = load(`
      [app:main]
      use = base
      color = red

      [app:base]
      use = ./a.mjs#app
      color = blue
      size = 2
    `)
    const app = node as PasteApp
    expect(app.type).toBe('app')
    expect(app.name).toBe('main')
    expect(app.use).toMatchObject({ specifier: './a.mjs', exportName: 'app' })
    expect(app.localConf).toEqual({ color: 'red', size: '2' })
  })

  it('supports `get local = global`, filter-with and filter-app', () => {
    const { node } = load(`
      [DEFAULT]
      name = cluster-1

      [app:main]
      use = ./a.mjs#app
      get cluster = name
      filter-with = outer

      [filter:outer]
      use = ./f.mjs#outer

      [filter-app:wrapped]
      use = ./f.mjs#inner
      next = main
      level = 3
    `)
    const f = node as PasteFiltered
    expect(f.type).toBe('filtered')
    expect(f.filter.use).toMatchObject({ exportName: 'outer' })
    expect((f.app as PasteApp).localConf).toEqual({ cluster: 'cluster-1' })
  })

  it('resolves a urlmap composite (use = egg:Paste#urlmap), longest path first', () => {
    const { node } = load(`
      [composite:main]
      use = egg:Paste#urlmap
      / = root
      /v1 = api
      /v1/admin/ = admin
      domain example.com /static = static
      not_found_app = root

      [app:root]
      use = ./a.mjs#root
      [app:api]
      use = ./a.mjs#api
      [app:admin]
      use = ./a.mjs#admin
      [app:static]
      use = ./a.mjs#static
    `)
    const map = node as PasteUrlMap
    expect(map.type).toBe('urlmap')
    expect(map.routes.map((r) => [r.host, r.path, r.app.name])).toEqual([
      ['example.com', '/static', 'static'],
      [undefined, '/v1/admin', 'admin'],
      [undefined, '/v1', 'api'],
      [undefined, '', 'root'],
    ])
    expect(map.notFound?.name).toBe('root')
  })

  it('keeps other composites for the loader, and loads a non-main name', () => {
    const { node } = load(
      `
      [composite:other]
      use = ./c.mjs#composite
      /x = a
    `,
      'other',
    )
    expect(node).toMatchObject({ type: 'composite', localConf: { '/x': 'a' } })
  })

  it('throws ConfigError naming file, section and key', () => {
    const { write } = tempFiles()
    const cases: [string, string][] = [
      ['[app:other]\nuse = ./a.mjs#x\n', 'E_CONFIG_NO_SECTION'],
      [
        '[app:main]\nuse = ./a.mjs#x\n[pipeline:main]\npipeline = main\n',
        'E_CONFIG_DUPLICATE_SECTION',
      ],
      ['[app:main]\ncolor = red\n', 'E_CONFIG_MISSING_KEY'],
      ['[pipeline:main]\nfoo = bar\n', 'E_CONFIG_MISSING_KEY'],
      ['[pipeline:main]\npipeline = a\nextra = 1\n[app:a]\nuse = ./a.mjs#a\n', 'E_CONFIG_SYNTAX'],
      ['[pipeline:main]\npipeline =\n', 'E_CONFIG_VALUE'],
      [
        '[pipeline:main]\npipeline = missing app\n[app:app]\nuse = ./a.mjs#a\n',
        'E_CONFIG_NO_SECTION',
      ],
      ['[app:main]\nuse = nosuchsection\n', 'E_CONFIG_VALUE'],
      ['[app:main]\nuse = call:foo.bar:app\n', 'E_CONFIG_VALUE'],
      ['[app:main]\nuse = main\n', 'E_CONFIG_VALUE'],
      [
        '[composite:main]\nuse = egg:Paste#urlmap\nnoslash = a\n[app:a]\nuse = ./a.mjs#a\n',
        'E_CONFIG_VALUE',
      ],
      ['[app:main]\nuse = ./a.mjs#a\nget x = nope\n', 'E_CONFIG_MISSING_KEY'],
    ]
    cases.forEach(([text, code], i) => {
      const file = write(`case${i}.conf`, text)
      expect([i, codeOf(() => loadPasteApp(loadConfig(file)))]).toEqual([i, code])
    })
    const file = write('where.conf', '[DEFAULT]\n\n[app:main]\nuse = what-is-this\n')
    expect(() => loadPasteApp(loadConfig(file))).toThrow(`${file}:4 [app:main] use: "what-is-this"`)
  })
})
