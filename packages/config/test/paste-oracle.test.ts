import { spawnSync } from 'node:child_process'
import { tempFiles } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { loadConfig, loadPasteApp, type PasteNode, pasteDefaults } from '../src/index.js'

// Python paste.deploy itself (Debian: python3-pastedeploy), when installed: the
// factories record the global_conf and local_conf paste.deploy gives them.
const FACTORIES = `
class App:
    def __init__(self, g, l): self.g, self.l = dict(g), dict(l)
    def tree(self): return {'type': 'app', 'g': self.g, 'l': self.l}
class Filtered:
    def __init__(self, g, l, app): self.g, self.l, self.app = dict(g), dict(l), app
    def tree(self): return {'type': 'filter', 'g': self.g, 'l': self.l, 'inner': self.app.tree()}
def app(global_conf, **local_conf): return App(global_conf, local_conf)
def filt(global_conf, **local_conf): return lambda inner: Filtered(global_conf, local_conf, inner)
`
const RUN = `
import json, sys
from paste.deploy import loadapp
path, name, glob = json.load(sys.stdin)
print(json.dumps(loadapp('config:' + path, name=name, global_conf=glob).tree()))
`

const PYTHONS = ['python3', '/usr/bin/python3']
const python = PYTHONS.find(
  (p) => spawnSync(p, ['-c', 'import paste.deploy'], { encoding: 'utf8' }).status === 0,
)

type Tree = { type: string; g: Record<string, string>; l: Record<string, string>; inner?: Tree }

/** Our tree in the shape the Python factories record (filters wrapping the app). */
function flatten(node: PasteNode): Tree {
  switch (node.type) {
    case 'app':
      return { type: 'app', g: node.globalConf, l: node.localConf }
    case 'pipeline': {
      let tree = flatten(node.app)
      for (const f of [...node.filters].reverse()) {
        tree = { type: 'filter', g: f.globalConf, l: f.localConf, inner: tree }
      }
      return tree
    }
    case 'filtered':
      return {
        type: 'filter',
        g: node.filter.globalConf,
        l: node.filter.localConf,
        inner: flatten(node.app),
      }
    default:
      throw new Error(`not compared: ${node.type}`)
  }
}

const CONFIGS: [string, string][] = [
  [
    'set, get, DEFAULT winning over plain local keys, use = section',
    `
[DEFAULT]
log_level = INFO
user = swift
workers = 2
name = cluster-1

[pipeline:main]
pipeline = f other
set workers = 4
set extra = from-pipeline

[filter:f]
use = FILTER
log_level = DEBUG
own = filter-own
set name = from-filter

[app:other]
use = base
color = red
set user = setuser
get cluster = name

[app:base]
use = APP
color = blue
size = 2
user = ignored
path = %(here)s/x
extra = local-extra-survives
`,
  ],
  [
    'filter-with and filter-app',
    `
[DEFAULT]
a = 1

[filter-app:main]
use = outer
next = inner
level = 3

[app:inner]
use = APP
filter-with = outer
b = 2
set a = 9

[filter:outer]
use = FILTER
c = 3
`,
  ],
]

describe.skipIf(!python)('against Python paste.deploy', () => {
  for (const [title, template] of CONFIGS) {
    it(title, () => {
      const { dir, write } = tempFiles()
      write('h1fac.py', FACTORIES)
      const ours = write(
        'ours.conf',
        template.replace(/FILTER/g, './m.mjs#f').replace(/APP/g, './m.mjs#a'),
      )
      const theirs = write(
        'theirs.conf',
        template.replace(/FILTER/g, 'call:h1fac:filt').replace(/APP/g, 'call:h1fac:app'),
      )
      const globals = { log_name: 'caller' }
      const run = spawnSync(python!, ['-c', RUN], {
        input: JSON.stringify([theirs, 'main', globals]),
        encoding: 'utf8',
        env: { ...process.env, PYTHONPATH: dir },
      })
      expect(run.stderr).toBe('')
      const expected = JSON.parse(run.stdout.replaceAll(theirs, ours)) as Tree
      const config = loadConfig(ours, { defaults: { ...pasteDefaults(ours), ...globals } })
      expect(flatten(loadPasteApp(config, 'main', globals))).toEqual(expected)
    })
  }
})

if (!python) {
  describe('against Python paste.deploy', () => {
    it.skip('Python paste.deploy is not installed (python3-pastedeploy): skipped', () => {})
  })
}
