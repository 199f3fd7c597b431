import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Where the manager prints: swift-init prints everything to standard output. */
export interface Writer {
  write(chunk: string): unknown
}

/** Is `path` an executable regular file (following symlinks)? */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** The first executable `name` in `dirs` (empty entries skipped); undefined when none. */
export function which(name: string, dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    if (dir === '') continue
    const path = join(dir, name)
    if (isExecutable(path)) return path
  }
  return undefined
}

/** `promise`'s value, or undefined when it takes longer than `ms` (the timer never outlives it). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

function confText(path: string): string[] {
  try {
    if (statSync(path).isDirectory()) {
      return readdirSync(path)
        .filter((n) => n.endsWith('.conf'))
        .sort()
        .map((n) => readFileSync(join(path, n), 'utf8'))
    }
    return [readFileSync(path, 'utf8')]
  } catch {
    return []
  }
}

/**
 * Does an INI config (a file or a `.conf.d` dir) have `[section]`? swift
 * parses the whole config for this; a header match is all the decision
 * needs, and keeps `status` from loading a config parser.
 */
export function configHasSection(path: string, section: string): boolean {
  const header = `[${section}]`
  return confText(path).some((text) =>
    text.split(/\r?\n/).some((line) => line.trimEnd() === header),
  )
}
