// What every published package.json and package dir must say, checked in the
// workspace (the alone-install test checks the same on the installed copies).
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { publicPackages, workspacePackages } from '../src/publish.ts'
import { ROOT, TOOL_DIR } from '../src/registry.ts'

const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
const repoUrl: string = root.repository.url
const web = repoUrl.replace(/^git\+/, '').replace(/\.git$/, '')
const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8')

it('the root LICENSE is the Apache License 2.0 text', () => {
  expect(license).toContain('Apache License')
  expect(license).toContain('Version 2.0, January 2004')
  expect(license).toContain('END OF TERMS AND CONDITIONS')
})

describe('every package', () => {
  for (const p of workspacePackages()) {
    it(`${p.name}: LICENSE, license field`, () => {
      expect(readFileSync(join(ROOT, p.dir, 'LICENSE'), 'utf8')).toBe(license)
      expect(p.manifest.license).toBe('Apache-2.0')
    })
  }
})

describe('every public package', () => {
  for (const p of publicPackages()) {
    it(`${p.name}: repository, homepage, bugs, public access, files, changelog`, () => {
      const m = p.manifest as {
        repository?: unknown
        homepage?: string
        bugs?: unknown
        publishConfig?: unknown
        files: string[]
        bin?: unknown
      }
      expect(m.repository).toEqual({ type: 'git', url: repoUrl, directory: p.dir })
      expect(m.homepage).toBe(`${web}/tree/main/${p.dir}#readme`)
      expect(m.bugs).toEqual({ url: `${web}/issues` })
      expect(m.publishConfig).toEqual({ access: 'public' })
      expect(m.files).toContain('dist')
      // Every entry names something the build left there; no sources or tests.
      for (const f of m.files)
        expect(existsSync(join(ROOT, p.dir, f)), `${p.name} files: ${f}`).toBe(true)
      expect(m.files.filter((f) => /^(src|test)(\/|$)|\.test\./.test(f))).toEqual([])
      if (m.bin) expect(m.files).toContain('bin')
      expect(readFileSync(join(ROOT, p.dir, 'CHANGELOG.md'), 'utf8')).toMatch(
        new RegExp(`^# ${p.name}\\n`),
      )
      expect(existsSync(join(ROOT, p.dir, 'README.md'))).toBe(true)
    })
  }
})

it('test-utils and the release tools stay private', () => {
  expect(workspacePackages().find((p) => p.name === '@forklift/test-utils')!.private).toBe(true)
  expect(JSON.parse(readFileSync(join(TOOL_DIR, 'package.json'), 'utf8')).private).toBe(true)
})

it('the release tools depend on every workspace package, so turbo builds them all before these tests', () => {
  const deps = JSON.parse(readFileSync(join(TOOL_DIR, 'package.json'), 'utf8')).devDependencies
  for (const p of workspacePackages()) expect(deps[p.name], p.name).toBe('workspace:*')
})

it('no source maps are emitted (they would point at src/, which is not shipped)', () => {
  const base = JSON.parse(readFileSync(join(ROOT, 'tsconfig.base.json'), 'utf8')).compilerOptions
  expect([base.sourceMap, base.declarationMap]).toEqual([false, false])
})
