import { formatOptparseHelp } from './_optparse.js'
import type { Command, OptionSpec, OptionSpecs } from './command.js'

const HELP_OPTION: OptionSpec = {
  type: 'boolean',
  short: 'h',
  description: 'show this help and exit',
}
const VERSION_OPTION: OptionSpec = { type: 'boolean', description: 'print the version and exit' }

function optionLabel(long: string, spec: OptionSpec): string {
  const short = spec.short ? `-${spec.short}, ` : '    '
  const value = spec.type !== 'boolean' ? ` ${spec.valueName ?? 'VALUE'}` : ''
  return `${short}--${long}${value}`
}

/** What {@link formatHelp} includes. */
export interface HelpOptions {
  /** Also options marked `extra` (and, under optparse syntax, sections and examples). Default true. */
  extras?: boolean
  /** `COLUMNS` sets the width of optparse-syntax help, as in Python. */
  env?: NodeJS.ProcessEnv
}

/**
 * The `--help` text of a command: usage, summary, description, options, extra
 * sections, examples — or, under `optparse` syntax, optparse's layout.
 */
export function formatHelp<O extends OptionSpecs>(
  command: Command<O>,
  options: HelpOptions = {},
): string {
  if (command.syntax === 'optparse') return formatOptparseHelp(command, options)
  const extras = options.extras ?? true
  const entries: [string, OptionSpec][] = Object.entries(command.options).filter(
    ([, s]) => !s.hidden && (extras || !s.extra),
  )
  entries.push(['help', HELP_OPTION])
  if (command.version) entries.push(['version', VERSION_OPTION])
  const labels = entries.map(([long, spec]) => optionLabel(long, spec))
  const width = Math.min(Math.max(...labels.map((l) => l.length)) + 2, 32)
  const optionLines = entries.map(([, spec], i) => {
    const label = labels[i] ?? ''
    const dflt =
      spec.default !== undefined && spec.default !== false && spec.type !== 'boolean'
        ? ` (default: ${String(spec.default)})`
        : ''
    const text = `${spec.description}${dflt}`
    return label.length + 2 > width
      ? `  ${label}\n  ${' '.repeat(width)}${text}`
      : `  ${label.padEnd(width)}${text}`
  })

  const parts = [`Usage: ${command.usage}`, '', command.summary]
  if (command.description) parts.push('', command.description.trimEnd())
  parts.push('', 'Options:', ...optionLines)
  for (const section of command.sections ?? []) {
    parts.push('', `${section.title}:`, section.body.trimEnd())
  }
  if (command.examples?.length) {
    parts.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`))
  }
  return `${parts.join('\n')}\n`
}
