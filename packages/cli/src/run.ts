import { parseArgs } from 'node:util'
import { formatError, isForkliftError } from '@forklift/errors'
import { formatOptparseError, parseOptparse } from './_optparse.js'
import type { Command, CommandIO, OptionSpecs, OptionValues } from './command.js'
import { ExitError, UsageError } from './errors.js'
import { formatHelp } from './help.js'

const DEFAULT_USAGE_EXIT_CODE = 2

function defaultIO(): CommandIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env }
}

function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false
    if (arg === '--help' || arg === '-h') return true
  }
  return false
}

// parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes; their messages
// mention internals ("To specify a positional argument starting with a '-'…"),
// so keep the first sentence only.
function usageFromParseError(err: unknown): UsageError {
  const message =
    err instanceof Error ? err.message.split('. ')[0]!.replace(/\.$/, '') : String(err)
  return new UsageError(message, { cause: err })
}

/** Parses `argv` for a command; throws UsageError on bad arguments. */
export function parseCommandArgs<O extends OptionSpecs>(
  command: Command<O>,
  argv: readonly string[],
): { values: OptionValues<O>; positionals: string[] } {
  const options: Record<
    string,
    { type: 'boolean' | 'string'; short?: string; multiple?: boolean; default?: never }
  > = {}
  for (const [long, spec] of Object.entries(command.options)) {
    options[long] = {
      type: spec.type === 'boolean' ? 'boolean' : 'string',
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
      ...(spec.default !== undefined && spec.type !== 'integer'
        ? { default: spec.default as never }
        : {}),
    }
  }
  if (command.version) options.version = { type: 'boolean' }
  try {
    const { values, positionals, tokens } = parseArgs({
      args: [...argv],
      options,
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
      tokens: true,
    })
    const typed: Record<string, unknown> = values
    // An option and the one that negates it: the last one given wins.
    for (const token of tokens) {
      if (token.kind !== 'option') continue
      const negated = command.options[token.name]?.negates
      if (negated) {
        typed[negated] = false
        delete typed[token.name]
      }
    }
    for (const [long, spec] of Object.entries(command.options)) {
      if (spec.type !== 'integer') continue
      const flag = spec.short ? `-${spec.short}` : `--${long}`
      const int = (v: string) => {
        if (!/^\s*[+-]?\d+\s*$/.test(v)) {
          throw new UsageError(`option ${flag}: invalid integer value: '${v}'`)
        }
        return Number(v)
      }
      const v = typed[long] as string | string[] | undefined
      if (v === undefined) typed[long] = spec.default
      else typed[long] = Array.isArray(v) ? v.map(int) : int(v)
    }
    return { values: typed as OptionValues<O>, positionals }
  } catch (err) {
    if (err instanceof UsageError) throw err
    throw usageFromParseError(err)
  }
}

function versionOf(command: Command<OptionSpecs>): string {
  return typeof command.version === 'function' ? command.version() : (command.version ?? '')
}

/** Runs a command and returns its exit status; never exits the process (for tests and embedding). */
export async function runCommand<O extends OptionSpecs>(
  command: Command<O>,
  argv: readonly string[],
  io: Partial<CommandIO> = {},
): Promise<number> {
  const { stdout, stderr, env } = { ...defaultIO(), ...io }
  const usageExitCode = command.usageExitCode ?? DEFAULT_USAGE_EXIT_CODE
  const optparse = command.syntax === 'optparse'
  const printVersion = () => {
    stdout.write(`${command.name} ${versionOf(command as Command<OptionSpecs>)}\n`)
    return 0
  }
  if (!optparse && wantsHelp(argv)) {
    stdout.write(formatHelp(command, { env }))
    return 0
  }
  try {
    let values: OptionValues<O>
    let positionals: string[]
    if (optparse) {
      const parsed = parseOptparse(command, argv)
      if (parsed.action !== 'run') {
        if (parsed.action === 'version') return printVersion()
        stdout.write(formatHelp(command, { env }))
        return 0
      }
      ;({ values, positionals } = parsed)
    } else {
      ;({ values, positionals } = parseCommandArgs(command, argv))
      if (command.version && (values as Record<string, unknown>).version) return printVersion()
    }
    const status = await command.run({ values, positionals, argv, stdout, stderr, env })
    return status ?? 0
  } catch (err) {
    if (err instanceof ExitError) {
      if (err.message) stderr.write(`${err.message}\n`)
      return err.exitCode
    }
    if (err instanceof UsageError) {
      stderr.write(
        optparse
          ? formatOptparseError(command, err.message)
          : `${command.name}: ${err.message}\nTry '${command.name} --help' for more information.\n`,
      )
      return usageExitCode
    }
    if (isForkliftError(err)) {
      stderr.write(`${command.name}: ${formatError(err)}\n`)
      return 1
    }
    stderr.write(
      `${command.name}: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    )
    return 1
  }
}

function flush(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    if (!stream.writable) return resolve()
    stream.write('', () => resolve())
  })
}

/**
 * The only place a forklift binary exits: runs the command, waits until what
 * it printed reached stdout/stderr (pipes are asynchronous in Node, and a bare
 * process.exit can cut them short), then exits with its status.
 */
export async function runMain<O extends OptionSpecs>(
  command: Command<O>,
  argv: readonly string[] = process.argv.slice(2),
): Promise<never> {
  const status = await runCommand(command, argv)
  await Promise.all([flush(process.stdout), flush(process.stderr)])
  process.exit(status)
}
