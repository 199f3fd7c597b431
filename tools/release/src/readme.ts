// README examples as tests. Every ```ts / ```js block of a README is code that
// CI type-checks (tsc --strict, NodeNext) and runs (Node 24, exit 0), as
// written, importing the packages by their public names. An HTML comment on
// the line before a fence (a blank line may separate them) changes that:
//
//   <!-- example: run <args> -->                           run with these arguments
//   <!-- example: typecheck <why it cannot run here> -->   type-check only
//   <!-- example: skip <why it is not code> -->            neither (pseudo-code, shapes)
//   <!-- example: file <name> -->                          not run: written to <name> beside
//                                                          the examples (a config, a worker
//                                                          module), any language
//
// `typecheck` and `skip` need a reason; an unknown marker, or one not followed
// by a fence, is an error. Blocks of other languages (sh, ini, console, text)
// are prose unless marked `file`.
import { spawn, spawnSync } from 'node:child_process'
import { lchownSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, isAbsolute, join, normalize, relative, sep } from 'node:path'

export const CODE_LANGS = new Set(['ts', 'typescript', 'mts', 'js', 'javascript', 'mjs'])
const TS_LANGS = new Set(['ts', 'typescript', 'mts'])
const MARKER = /^<!--\s*example:\s*(\S+)(?:\s+(.*?))?\s*-->$/

export type BlockMode = 'run' | 'typecheck' | 'skip' | 'file'

export interface ReadmeBlock {
  /** The README, as given to extractBlocks. */
  readme: string
  /** 1-based line of the opening fence. */
  line: number
  lang: string
  code: string
  mode: BlockMode
  /** Why a block is only type-checked or skipped. */
  reason?: string
  /** Arguments a `run` block is started with. */
  args?: string[]
  /** For `file`: where it is written, relative to the example dir. */
  fileName?: string
}

export class ReadmeMarkerError extends Error {
  override name = 'ReadmeMarkerError'
}

/** The code blocks of one README with what CI does with each; throws ReadmeMarkerError on a bad marker. */
export function extractBlocks(markdown: string, readme: string): ReadmeBlock[] {
  const lines = markdown.split('\n')
  const blocks: ReadmeBlock[] = []
  let pending: { mode: string; arg: string; line: number } | undefined
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!
    const marker = MARKER.exec(text.trim())
    if (marker) {
      if (pending)
        throw new ReadmeMarkerError(
          `${readme}:${pending.line}: example marker not followed by a code block`,
        )
      pending = { mode: marker[1]!, arg: marker[2] ?? '', line: i + 1 }
      continue
    }
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(text)
    if (!open) {
      // One blank line may sit between a marker and its fence; anything else orphans it.
      if (pending && !(text.trim() === '' && pending.line === i)) {
        throw new ReadmeMarkerError(
          `${readme}:${pending.line}: example marker not followed by a code block`,
        )
      }
      continue
    }
    const indent = open[1]!.length
    const fence = open[2]!
    const lang = open[3]!.toLowerCase()
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const l = lines[j]!
      const close = /^(\s*)(`{3,}|~{3,})\s*$/.exec(l)
      if (close && close[2]![0] === fence[0] && close[2]!.length >= fence.length) break
      body.push(l.slice(Math.min(indent, l.length - l.trimStart().length)))
    }
    const block = classify(readme, i + 1, lang, `${body.join('\n')}\n`, pending)
    if (block) blocks.push(block)
    pending = undefined
    i = j
  }
  if (pending)
    throw new ReadmeMarkerError(
      `${readme}:${pending.line}: example marker not followed by a code block`,
    )
  return blocks
}

function classify(
  readme: string,
  line: number,
  lang: string,
  code: string,
  marker: { mode: string; arg: string; line: number } | undefined,
): ReadmeBlock | undefined {
  const at = `${readme}:${marker?.line ?? line}`
  if (!marker) return CODE_LANGS.has(lang) ? { readme, line, lang, code, mode: 'run' } : undefined
  switch (marker.mode) {
    case 'run':
      if (!CODE_LANGS.has(lang))
        throw new ReadmeMarkerError(`${at}: "run" on a ${lang || 'plain'} block`)
      return {
        readme,
        line,
        lang,
        code,
        mode: 'run',
        args: marker.arg.split(/\s+/).filter(Boolean),
      }
    case 'typecheck':
    case 'skip':
      if (!marker.arg)
        throw new ReadmeMarkerError(`${at}: "example: ${marker.mode}" needs a reason after it`)
      if (marker.mode === 'typecheck' && !CODE_LANGS.has(lang)) {
        throw new ReadmeMarkerError(`${at}: "typecheck" on a ${lang || 'plain'} block`)
      }
      return { readme, line, lang, code, mode: marker.mode, reason: marker.arg }
    case 'file': {
      const name = marker.arg
      if (
        !name ||
        isAbsolute(name) ||
        normalize(name).split(sep).includes('..') ||
        /\s/.test(name)
      ) {
        throw new ReadmeMarkerError(
          `${at}: "example: file" needs a relative file name, got ${JSON.stringify(name)}`,
        )
      }
      return { readme, line, lang, code, mode: 'file', fileName: normalize(name) }
    }
    default:
      throw new ReadmeMarkerError(
        `${at}: unknown example marker "${marker.mode}" (run, typecheck, skip, file)`,
      )
  }
}

/** The file an example block becomes in its dir. */
export function exampleFileName(block: ReadmeBlock): string {
  if (block.mode === 'file') return block.fileName!
  return `example-L${block.line}.${TS_LANGS.has(block.lang) ? 'ts' : 'mjs'}`
}

/** Whether tsc checks the block (TypeScript code; `file` blocks named *.ts / *.mts). */
export function isTypeChecked(block: ReadmeBlock): boolean {
  if (block.mode === 'skip') return false
  return /\.m?ts$/.test(exampleFileName(block))
}

/** Bare package names a block imports (`@scope/name` or `name`), not `node:` builtins or relative paths. */
export function importedPackages(code: string): string[] {
  const names = new Set<string>()
  const re =
    /(?:^|[\s;])(?:import|export)\s(?:[^'"`;]*?\sfrom\s)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm
  for (const m of code.matchAll(re)) {
    const spec = m[1] ?? m[2]!
    if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) continue
    const parts = spec.split('/')
    names.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!)
  }
  return [...names]
}

export interface WrittenExample {
  block: ReadmeBlock
  /** Absolute path of the file written. */
  file: string
  dir: string
}

/** Writes a README's blocks into `dir` (files first, then each example); returns what was written. */
export function writeExamples(blocks: ReadmeBlock[], dir: string): WrittenExample[] {
  mkdirSync(dir, { recursive: true })
  const out: WrittenExample[] = []
  for (const block of blocks) {
    if (block.mode === 'skip') continue
    const file = join(dir, exampleFileName(block))
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, block.code)
    out.push({ block, file, dir })
  }
  return out
}

export interface Diagnostic {
  file: string
  line: number
  text: string
}

/** Runs tsc over a project dir (its tsconfig.json) and returns the diagnostics, by absolute file. */
export function typeCheck(
  tsc: string,
  node: string,
  projectDir: string,
): { diagnostics: Diagnostic[]; output: string } {
  const r = spawnSync(node, [tsc, '-p', join(projectDir, 'tsconfig.json'), '--pretty', 'false'], {
    cwd: projectDir,
    encoding: 'utf8',
    timeout: 300_000,
  })
  const output = `${r.stdout}${r.stderr}`
  const diagnostics: Diagnostic[] = []
  let last: Diagnostic | undefined
  for (const l of output.split('\n')) {
    const m = /^(.+?)\((\d+),\d+\): (error .*)$/.exec(l)
    if (m) {
      last = { file: join(projectDir, m[1]!), line: Number(m[2]), text: m[3]! }
      diagnostics.push(last)
    } else if (last && l.startsWith(' ')) last.text += `\n${l}`
  }
  if (r.status !== 0 && diagnostics.length === 0) {
    diagnostics.push({
      file: projectDir,
      line: 0,
      text: `tsc failed: ${output || r.error?.message}`,
    })
  }
  return { diagnostics, output }
}

/** A README line for a line of an example file. */
export function readmeLine(block: ReadmeBlock, fileLine: number): number {
  return block.line + fileLine
}

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  timedOut: boolean
}

/**
 * Who runs examples: as root, `nobody`. An example is code a reader copies,
 * and as written it may name /etc/swift or /var/run/swift: run by root it would
 * start real servers or overwrite real pid files on the machine (it did, once).
 * As nobody such an example fails instead, and is fixed to use its own files.
 */
export const EXAMPLE_USER = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined

/** Makes `dir` (recursively) belong to EXAMPLE_USER, so examples may write beside themselves. */
export function giveToExampleUser(dir: string): void {
  if (!EXAMPLE_USER) return
  const walk = (p: string): void => {
    lchownSync(p, EXAMPLE_USER.uid, EXAMPLE_USER.gid)
    const st = lstatSync(p)
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e))
  }
  walk(dir)
}

/** Runs one example file with Node in its dir (as EXAMPLE_USER); kills its process group at the deadline. */
export function runExample(
  node: string,
  file: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  args: readonly string[] = [],
): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(node, [file, ...args], {
      cwd: dirname(file),
      env: { ...env, HOME: dirname(file) },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...EXAMPLE_USER,
    })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    const timer = setTimeout(() => {
      timedOut = true
      killGroup(child.pid)
    }, timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      // Whatever the example left running (workers, servers) goes with it.
      killGroup(child.pid)
      resolvePromise({ code, signal, stdout, stderr, timedOut })
    })
  })
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

/** The README's path for messages: relative to `root`. */
export function displayPath(root: string, file: string): string {
  return relative(root, file)
}

/** Reads and extracts one README file. */
export function readReadme(root: string, file: string): ReadmeBlock[] {
  return extractBlocks(readFileSync(file, 'utf8'), displayPath(root, file))
}
