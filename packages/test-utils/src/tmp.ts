import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { onTestFinished } from 'vitest'

/** A new temp dir (`<tmpdir>/<prefix>XXXXXX`) removed, with all it holds, when the current test finishes. */
export function tempDir(prefix = 'fl-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5 }))
  return dir
}

/** A {@link tempDir} and a writer of files in it (parent dirs created) that returns each file's path. */
export function tempFiles(prefix?: string): {
  dir: string
  write: (name: string, text: string) => string
} {
  const dir = tempDir(prefix)
  const write = (name: string, text: string): string => {
    const file = join(dir, name)
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, text)
    return file
  }
  return { dir, write }
}
