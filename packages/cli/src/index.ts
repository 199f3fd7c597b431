export type {
  Command,
  CommandContext,
  CommandIO,
  HelpSection,
  OptionSpec,
  OptionSpecs,
  OptionValues,
} from './command.js'
export { defineCommand } from './command.js'
export { ExitError, UsageError } from './errors.js'
export { formatHelp, type HelpOptions } from './help.js'
export { parseCommandArgs, runCommand, runMain } from './run.js'
export { packageVersion } from './version.js'
