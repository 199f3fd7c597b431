/** One option of a command, in `node:util.parseArgs` terms plus what `--help` shows. */
export interface OptionSpec {
  type: 'boolean' | 'string'
  short?: string
  multiple?: boolean
  default?: string | boolean | string[] | boolean[]
  /** One line for `--help`. */
  description: string
  /** The placeholder shown after a string option in `--help`, e.g. `N` or `DIR`. */
  valueName?: string
  /** Left out of `--help` (kept for compatibility, for example). */
  hidden?: boolean
}

export type OptionSpecs = Record<string, OptionSpec>

type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean'
  ? S['multiple'] extends true
    ? boolean[]
    : boolean
  : S['multiple'] extends true
    ? string[]
    : string

/** Parsed option values, keyed by long name; absent options are `undefined` unless defaulted. */
export type OptionValues<O extends OptionSpecs> = {
  [K in keyof O]: O[K] extends { default: unknown } ? ValueOf<O[K]> : ValueOf<O[K]> | undefined
}

/** Where a command writes; tests pass their own. */
export interface CommandIO {
  stdout: { write(chunk: string): unknown }
  stderr: { write(chunk: string): unknown }
  env: NodeJS.ProcessEnv
}

export interface CommandContext<O extends OptionSpecs> extends CommandIO {
  values: OptionValues<O>
  positionals: string[]
  /** The raw arguments, as given. */
  argv: readonly string[]
}

/** A section of free text in `--help`, such as a command list. */
export interface HelpSection {
  title: string
  body: string
}

export interface Command<O extends OptionSpecs = OptionSpecs> {
  /** The binary's name, used in messages: `swift-init: ...`. */
  name: string
  /** One line saying what it does. */
  summary: string
  /** The synopsis after `Usage: `, e.g. `swift-init <server>... <command> [options]`. */
  usage: string
  description?: string
  version?: string
  options: O
  allowPositionals?: boolean
  sections?: HelpSection[]
  examples?: string[]
  /** Exit status for usage errors; 2 by default, as getopt-style tools do. */
  usageExitCode?: number
  run(ctx: CommandContext<O>): number | undefined | Promise<number | undefined>
}

/** Declares a command; only gives `run` its typed option values. */
export function defineCommand<O extends OptionSpecs>(command: Command<O>): Command<O> {
  for (const [long, spec] of Object.entries(command.options)) {
    if (long === 'help' || spec.short === 'h') {
      throw new TypeError(`${command.name}: option --${long} clashes with the built-in --help/-h`)
    }
    if (spec.short !== undefined && spec.short.length !== 1) {
      throw new TypeError(
        `${command.name}: short option for --${long} must be one character, got '${spec.short}'`,
      )
    }
  }
  return command
}
