import { copyFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { ConfigError } from '@forklift/config'
import { tempFiles } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { loadApp, PipelineError, scriptName, urlmap } from '../src/index.js'
import { FIXTURES, serve } from './helpers.js'

/** A temp dir holding the fixture modules and one config file. */
function setup(configText: string, name = 'server.conf') {
  const t = tempFiles()
  copyFileSync(join(FIXTURES, 'modules.mjs'), join(t.dir, 'modules.mjs'))
  copyFileSync(join(FIXTURES, 'broken.mjs'), join(t.dir, 'broken.mjs'))
  return { ...t, file: t.write(name, configText) }
}

/** A GET with node:http (fetch will not send a Host header of our choosing). */
function get(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => {
        text += c
      })
      res.on('end', () => resolve({ status: res.statusCode!, text }))
    })
    req.on('error', reject)
    req.end()
  })
}

async function expectLoadError(file: string, code: string, fields: Record<string, unknown> = {}) {
  const err = await loadApp(file).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(PipelineError)
  expect(err).toMatchObject({ code, ...fields })
  expect((err as Error).message).not.toContain('\n')
  return err as PipelineError
}

describe('loadApp', () => {
  it('builds a pipeline from real modules: filters in order, then the app with its confs', async () => {
    const { dir, file } = setup(`
[DEFAULT]
workers = 2
tag = from-default

[pipeline:main]
pipeline = first second healthcheck app
set workers = 4

[filter:first]
use = ./modules.mjs#tag
set tag = first

[filter:second]
use = ./modules.mjs#tag
tag = ignored-because-default-has-it
set tag = second

[filter:healthcheck]
use = forklift#healthcheck

[app:app]
use = ./modules.mjs#echo
color = blue
path = %(here)s/data
`)
    const { url } = await serve(await loadApp(file, { globalConf: { log_name: 'test' } }))
    const body = JSON.parse((await get(`${url}/v1/a?x=1`)).text)
    expect(body.order).toBe('first,second')
    expect(body.url).toBe('/v1/a?x=1')
    expect(body.localConf).toEqual({ color: 'blue', path: `${dir}/data` })
    expect(body.globalConf).toEqual({
      here: dir,
      __file__: file,
      log_name: 'test',
      workers: '4',
      tag: 'from-default',
    })
    expect(await get(`${url}/healthcheck`)).toMatchObject({ status: 200, text: 'OK' })
  })

  it('loads a name other than main, an async factory and a `use = othersection`', async () => {
    const { file } = setup(`
[app:main]
use = ./modules.mjs#echo

[app:other]
use = base
name = mine

[app:base]
use = ./modules.mjs#asyncApp
name = base
`)
    const { url } = await serve(await loadApp(file, { name: 'other' }))
    expect((await get(url)).text).toBe('async mine')
  })

  it('resolves a package from the config directory', async () => {
    const { write, file } = setup(`
[app:main]
use = fake-app/sub#app
`)
    write(
      'node_modules/fake-app/package.json',
      JSON.stringify({ name: 'fake-app', type: 'module', exports: { './sub': './sub.js' } }),
    )
    write(
      'node_modules/fake-app/sub.js',
      'export const app = (g, l) => (req, res) => res.end("from a package")\n',
    )
    const { url } = await serve(await loadApp(file))
    expect((await get(url)).text).toBe('from a package')
  })

  it('serves a urlmap composite, stripping the mount from req.url', async () => {
    const { file } = setup(`
[composite:main]
use = egg:Paste#urlmap
/ = root
/v1 = api
domain example.com /v1 = example

[app:root]
use = ./modules.mjs#echo
[app:api]
use = ./modules.mjs#echo
which = api
[app:example]
use = forklift#hello
message = example.com
`)
    const { url } = await serve(await loadApp(file))
    expect(JSON.parse((await get(`${url}/v1/objects?a=b`)).text)).toMatchObject({
      url: '/objects?a=b',
      localConf: { which: 'api' },
    })
    expect(JSON.parse((await get(`${url}/v1`)).text)).toMatchObject({ url: '/' })
    expect(JSON.parse((await get(`${url}/v10`)).text)).toMatchObject({ url: '/v10', localConf: {} })
    expect((await get(`${url}/v1/x`, { host: 'example.com' })).text).toMatch(/^example\.com \(pid/)
  })

  it('urlmap: scriptName, 404 without a match', async () => {
    let seen = ''
    const inner = urlmap([
      {
        path: '/b',
        app: (req, res) => {
          seen = `${scriptName(req)} ${req.url}`
          res.end()
        },
      },
    ])
    const { url } = await serve(urlmap([{ path: '/a', app: inner }]))
    await get(`${url}/a/b/c`)
    expect(seen).toBe('/a/b /c')
    expect((await get(`${url}/a/x`)).status).toBe(404)
    expect((await get(`${url}/zzz`)).status).toBe(404)
  })

  it('passes a loader to other composites', async () => {
    const { file } = setup(`
[composite:main]
use = ./modules.mjs#picker
choices = one two

[app:one]
use = forklift#hello
message = one
[app:two]
use = forklift#hello
message = two
`)
    const { url } = await serve(await loadApp(file))
    expect((await get(url, { 'x-pick': 'two' })).text).toMatch(/^two /)
    expect((await get(url, { 'x-pick': 'one' })).text).toMatch(/^one /)
  })

  it('answers 500 when the app throws or rejects, and keeps serving', async () => {
    const { file } = setup('[app:main]\nuse = ./modules.mjs#throwingApp\n')
    const { url } = await serve(await loadApp(file))
    expect(await get(`${url}/sync`)).toMatchObject({ status: 500, text: 'Internal Server Error\n' })
    expect(await get(`${url}/async`)).toMatchObject({ status: 500 })
    expect((await get(`${url}/sync`)).status).toBe(500)
  })
})

describe('loadApp errors name file, section and key', () => {
  it('an egg: entry point without a Node equivalent', async () => {
    const { file } = setup('[app:main]\nuse = egg:swift#proxy\n')
    const err = await expectLoadError(file, 'E_PIPELINE_UNKNOWN_USE', {
      file,
      section: 'app:main',
      key: 'use',
      line: 2,
    })
    expect(err.message).toMatch(/^.*server\.conf:2 \[app:main\] use: egg:swift#proxy is a Python/)
  })

  it('a module file that does not exist, and a package that cannot be found', async () => {
    const { file, dir } = setup('[app:main]\nuse = ./nope.mjs#app\n')
    const err = await expectLoadError(file, 'E_PIPELINE_MODULE_NOT_FOUND', { section: 'app:main' })
    expect(err.message).toContain(join(dir, 'nope.mjs'))
    writeFileSync(file, '[app:main]\nuse = no-such-package-anywhere#app\n')
    await expectLoadError(file, 'E_PIPELINE_MODULE_NOT_FOUND', { key: 'use' })
  })

  it('a module that throws while loading', async () => {
    const { file } = setup(
      '[pipeline:main]\npipeline = f app\n[filter:f]\nuse = ./broken.mjs#f\n[app:app]\nuse = forklift#hello\n',
    )
    const err = await expectLoadError(file, 'E_PIPELINE_MODULE_LOAD', { section: 'filter:f' })
    expect(err.message).toContain('this module fails while loading')
  })

  it('a missing export, and an export that is not a function', async () => {
    const { file } = setup('[app:main]\nuse = ./modules.mjs#nope\n')
    const err = await expectLoadError(file, 'E_PIPELINE_NO_EXPORT', { section: 'app:main' })
    expect(err.message).toContain('echo')
    writeFileSync(file, '[app:main]\nuse = ./modules.mjs#notAFunction\n')
    await expectLoadError(file, 'E_PIPELINE_NOT_A_FACTORY')
    writeFileSync(file, '[app:main]\nuse = forklift#nothing\n')
    await expectLoadError(file, 'E_PIPELINE_NO_EXPORT')
  })

  it('a factory that throws, or returns something other than a function', async () => {
    const { file } = setup('[app:main]\nuse = ./modules.mjs#throwingFactory\n')
    const err = await expectLoadError(file, 'E_PIPELINE_FACTORY', { section: 'app:main' })
    expect(err.message).toContain('the factory is broken')
    expect((err.cause as Error).message).toBe('the factory is broken')
    writeFileSync(file, '[app:main]\nuse = ./modules.mjs#notAListener\n')
    await expectLoadError(file, 'E_PIPELINE_FACTORY')
    // A filter factory must return a function that wraps the app into a function.
    writeFileSync(
      file,
      '[pipeline:main]\npipeline = f app\n[filter:f]\nuse = ./modules.mjs#echo\n[app:app]\nuse = forklift#hello\n',
    )
    await expectLoadError(file, 'E_PIPELINE_FACTORY', { section: 'filter:f' })
  })

  it('config problems stay ConfigErrors', async () => {
    const { file } = setup('[app:other]\nuse = forklift#hello\n')
    await expect(loadApp(file)).rejects.toBeInstanceOf(ConfigError)
    rmSync(file)
    await expect(loadApp(file)).rejects.toMatchObject({ code: 'E_CONFIG_NOT_FOUND' })
  })
})
