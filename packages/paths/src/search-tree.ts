import { lstatSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** How {@link searchTree} matches and walks. */
export interface SearchTreeOptions {
  /** Only files ending with one of these are returned; empty or [''] means every file. */
  exts?: readonly string[]
  /** Directories ending with this are returned as matches and not walked (`.conf.d`). */
  dirExt?: string
  /**
   * Follow symlinks when deciding what is a directory. True on the conf side
   * (operators symlink configs, as Python's `os.path.isdir` follows them);
   * false on the run dir side, where a planted symlink must never lead us
   * elsewhere: a symlink there is returned as a plain entry.
   */
  followSymlinks?: boolean
  /** Skip dot-files while walking (our own pid-file temporaries start with a dot). */
  skipDotFiles?: boolean
}

function kind(path: string, follow: boolean): 'dir' | 'file' | 'none' {
  try {
    const st = follow ? statSync(path) : lstatSync(path)
    return st.isDirectory() ? 'dir' : 'file'
  } catch (err) {
    // A dangling symlink is still an entry on the run dir side.
    if (follow) {
      try {
        lstatSync(path)
        return 'file'
      } catch {}
    }
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'none' : 'file'
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort()
  } catch {
    return []
  }
}

/**
 * swift's `search_tree`: every entry of `root` whose name starts with
 * `prefix`; files are kept when they end with one of `exts`; directories are
 * walked depth first, keeping matching files and returning `dirExt`
 * directories whole. As in swift, a directory that holds `dirExt`
 * directories ends the walk of that match (conf.d dirs are leaves). Walks in
 * sorted order so the result does not depend on readdir order. Sorted result.
 */
export function searchTree(
  root: string,
  prefix: string,
  options: SearchTreeOptions = {},
): string[] {
  const exts = (options.exts ?? []).filter((e) => e !== '')
  const { dirExt } = options
  const follow = options.followSymlinks ?? true
  const wanted = (name: string) => exts.length === 0 || exts.some((e) => name.endsWith(e))
  const found: string[] = []

  // Returns false when the walk must stop (swift breaks out of os.walk).
  const walk = (dir: string): boolean => {
    if (dirExt && dir.endsWith(dirExt)) {
      found.push(dir)
      return false
    }
    const subdirs: string[] = []
    let foundDir = false
    for (const name of listDir(dir)) {
      if (options.skipDotFiles && name.startsWith('.')) continue
      const path = join(dir, name)
      if (kind(path, follow) === 'dir') {
        if (dirExt && name.endsWith(dirExt)) {
          foundDir = true
          found.push(path)
        } else {
          subdirs.push(path)
        }
      } else if (wanted(name)) {
        found.push(path)
      }
    }
    if (foundDir) return false
    for (const sub of subdirs) {
      // os.walk does not descend into symlinked directories.
      if (follow && lstatSync(sub).isSymbolicLink()) continue
      if (!walk(sub)) return false
    }
    return true
  }

  for (const name of listDir(root)) {
    if (!name.startsWith(prefix)) continue
    const path = join(root, name)
    const k = kind(path, follow)
    if (k === 'dir') walk(path)
    else if (k === 'file' && wanted(name)) found.push(path)
  }
  return found.sort()
}
