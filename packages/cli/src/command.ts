/** One option of a command, in `node:util.parseArgs` terms plus what `--help` shows. */
export interface OptionSpec {
  /** `integer`: a string value converted to a number (`option -c: invalid integer value: 'x'` otherwise). */
  type: 'boolean' | 'string' | 'integer'
  short?: string
  multiple?: boolean
  default?: string | boolean | number | string[] | boolean[] | number[]
  /** One line for `--help`. */
  description: string
  /** The placeholder shown after a string option in `--help`, e.g. `N` or `DIR`. */
  valueName?: string
  /** Left out of `--help` (kept for compatibility, for example). */
  hidden?: boolean
  /**
   * An option the program a command reproduces does not have: `--help`
   * lists it, `formatHelp(command, { extras: false })` (the program's own
   * help) does not, and under `optparse` syntax it is recognised only when
   * spelled out in full, so it never makes an abbreviation of the program's
   * own options ambiguous.
   */
  extra?: boolean
  /**
   * A boolean that turns another boolean option off (`--non-strict` negates
   * `strict`): whichever of the two comes last wins, and the value lands
   * under the other option's name only.
   */
  negates?: string
}

export type OptionSpecs = Record<string, OptionSpec>

type Scalar<S extends OptionSpec> = S['type'] extends 'boolean'
  ? boolean
  : S['type'] extends 'integer'
    ? number
    : string

type ValueOf<S extends OptionSpec> = S['multiple'] extends true ? Scalar<S>[] : Scalar<S>

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
  /** Enables `--version`, which prints `<name> <version>`; a function is called only then. */
  version?: string | (() => string)
  /**
   * `gnu` (default): `node:util.parseArgs`, one-line usage errors with a
   * hint. `optparse`: Python optparse's syntax (abbreviated long options,
   * `-h` acting where it stands), its help layout and its errors — the usage
   * on stderr, then `<name>: error: <message>`, exit 2 — for commands that
   * reproduce a Python program word for word.
   */
  syntax?: 'gnu' | 'optparse'
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
