import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { onTestFinished } from 'vitest'

/** A temp dir removed when the current test finishes, and a writer for files in it. */
export function tempDir(): { dir: string; write: (name: string, text: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'forklift-config-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5 }))
  const write = (name: string, text: string) => {
    const file = join(dir, name)
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, text)
    return file
  }
  return { dir, write }
}

/** Strips the common leading indentation of a template literal, so test configs read naturally. */
export function ini(text: string): string {
  const lines = text.replace(/^\n/, '').split('\n')
  const indents = lines.filter((l) => l.trim()).map((l) => l.search(/\S/))
  const cut = Math.min(...indents)
  return lines.map((l) => l.slice(cut)).join('\n')
}
