// The project README examples run in: a temp dir outside the workspace whose
// node_modules links each @forklift package by its name, so an example reaches
// a package only through its `exports` map, as a user's code would; a
// third-party package an example imports is linked from where the README's
// own package resolves it.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { workspacePackages } from './publish.ts'
import {
  importedPackages,
  isTypeChecked,
  type ReadmeBlock,
  readReadme,
  type WrittenExample,
  writeExamples,
} from './readme.ts'
import { ROOT } from './registry.ts'

/** Every README whose examples CI runs: packages/*, apps/*, tools/*. */
export function packageReadmes(root = ROOT): string[] {
  const out: string[] = []
  for (const group of ['packages', 'apps', 'tools']) {
    const base = join(root, group)
    if (!existsSync(base)) continue
    for (const entry of readdirSync(base, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const readme = join(base, entry.name, 'README.md')
      if (entry.isDirectory() && existsSync(readme)) out.push(readme)
    }
  }
  return out
}

/** tsconfig for examples: what a strict NodeNext consumer uses. */
export function consumerTsconfig(include: string[]): string {
  return `${JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2023',
        lib: ['ES2023'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        types: ['node'],
        skipLibCheck: true,
        moduleDetection: 'force',
        allowImportingTsExtensions: true,
        erasableSyntaxOnly: true,
      },
      include,
    },
    null,
    2,
  )}\n`
}

function linkPackage(nodeModules: string, name: string, target: string): void {
  const link = join(nodeModules, name)
  if (existsSync(link)) return
  mkdirSync(dirname(link), { recursive: true })
  symlinkSync(target, link, 'dir')
}

/** Where `name` resolves from `fromDir` (the package dir, not its entry file). */
function packageDir(fromDir: string, name: string): string | undefined {
  const require = createRequire(join(fromDir, 'package.json'))
  for (const base of require.resolve.paths(name) ?? []) {
    if (existsSync(join(base, name, 'package.json'))) return join(base, name)
  }
  return undefined
}

export interface ReadmeSuite {
  readme: string
  blocks: ReadmeBlock[]
  written: WrittenExample[]
}

export interface ReadmeProject {
  dir: string
  suites: ReadmeSuite[]
}

/** Writes every README's examples into a new temp project; `readmes` are absolute paths. */
export function buildReadmeProject(readmes: string[], root = ROOT): ReadmeProject {
  const dir = mkdtempSync(join(tmpdir(), 'forklift-readme-'))
  writeFileSync(join(dir, 'package.json'), '{ "private": true, "type": "module" }\n')
  const nodeModules = join(dir, 'node_modules')
  mkdirSync(nodeModules)
  for (const p of workspacePackages()) linkPackage(nodeModules, p.name, join(ROOT, p.dir))
  linkPackage(nodeModules, '@types/node', packageDir(ROOT, '@types/node')!)
  const suites: ReadmeSuite[] = []
  for (const readme of readmes) {
    const blocks = readReadme(root, readme)
    const slug = readme
      .slice(root.length + 1)
      .replace(/\/README\.md$/, '')
      .replace(/[^a-z0-9]+/gi, '-')
    const written = writeExamples(blocks, join(dir, slug))
    for (const block of blocks) {
      for (const name of importedPackages(block.code)) {
        if (name.startsWith('@forklift/')) continue
        const found = packageDir(dirname(readme), name)
        if (found) linkPackage(nodeModules, name, found)
      }
    }
    suites.push({ readme, blocks, written })
  }
  const include = suites.flatMap((s) =>
    s.written.filter((w) => isTypeChecked(w.block)).map((w) => w.file.slice(dir.length + 1)),
  )
  writeFileSync(join(dir, 'tsconfig.json'), consumerTsconfig(include))
  return { dir, suites }
}
