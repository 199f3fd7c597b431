// The conformance harness: a scenario is a sandbox set up the same way for
// both swift-inits and one or more commands run in it; each swift-init's
// transcript (command, exit status, stdout, stderr) is normalised (sandbox
// root, pids, ports masked) and the two must be equal — unless a documented
// deliberate difference says what ours prints instead (deliberate.ts).
import type { Sandbox } from './sandbox.js'
import type { RunResult, Tool } from './tools.js'

export interface Scenario {
  /** Unique, readable: `state running: object stop -v`. */
  id: string
  /** The class of behaviour it belongs to (usage errors, states, -c…). */
  cls: string
  setup?: (sb: Sandbox) => Promise<void> | void
  /** swift-init argument lists run in order in the same sandbox; `$RUN`, `$ETC`, `$ROOT` are its dirs. */
  commands: string[][]
  /** Several servers: Python lists them in its set's order, so lines are compared sorted. */
  unordered?: boolean
  /** SIGINT to swift-init (Ctrl-C) during command `command`, once the fixture logs `afterEvent`. */
  interrupt?: { command: number; afterEvent: string }
  /** Per command; default 30 s. */
  timeoutMs?: number
  /** Facts the deliberate differences key on: `state:foreign`, `cmd:stop`, `server:object-server`… */
  tags?: readonly string[]
  /** Other scenarios a deliberate difference compares ours against (run on Python only). */
  variants?: Readonly<Record<string, Scenario>>
  /** For a deliberate difference spelled out: ours's whole transcript. */
  expected?: Transcript
}

export interface Step {
  argv: string[]
  result: RunResult
}

/** What a tool printed through a scenario, normalised. */
export type Transcript = string

const TOKENS = (sb: Sandbox): [string, string][] => [
  ['$RUN', sb.run],
  ['$ETC', sb.etc],
  ['$ROOT', sb.root],
]

/** Runs a scenario with one tool in a fresh sandbox; returns its raw steps and the sandbox root. */
export async function runScenario(
  scenario: Scenario,
  tool: Tool,
  makeSandbox: () => Sandbox,
): Promise<{ steps: Step[]; root: string }> {
  const sb = makeSandbox()
  try {
    await scenario.setup?.(sb)
    const steps: Step[] = []
    for (const [i, args] of scenario.commands.entries()) {
      const argv = args.map((a) => TOKENS(sb).reduce((s, [t, v]) => s.replaceAll(t, v), a))
      const interrupt = scenario.interrupt?.command === i ? scenario.interrupt : undefined
      if (process.env.FORKLIFT_CONFORMANCE_LOG)
        console.error(`  ${tool.name} ${JSON.stringify(argv)}`)
      const result = await tool.run(argv, {
        env: sb.env(),
        cwd: sb.root,
        timeoutMs: scenario.timeoutMs ?? 30_000,
        onStart: interrupt
          ? (pid) => {
              sb.waitForEvent(interrupt.afterEvent)
                .then(() => process.kill(pid, 'SIGINT'))
                .catch(() => {})
            }
          : undefined,
      })
      steps.push({ argv: args, result })
    }
    return { steps, root: sb.root }
  } finally {
    await sb.destroy()
  }
}

/**
 * Masks what differs between any two runs: the sandbox root, pids, ports —
 * and one race. While stop waits for a server it signalled, the pid file is
 * worded by what /proc says at that poll: `stale` once the process is gone,
 * `with wrong pid` while it is still exiting or not yet reaped (its cmdline
 * is empty then). Python's swift-init words it either way from run to run,
 * so does ours; right before `… appears to have stopped` both mean "it
 * exited". (A zombie's pid file is still told apart by status -v, where no
 * signal was sent.)
 */
export function normalise(text: string, root: string): string {
  return text
    .replace(
      /^Removing (?:stale pid file (\S+)|pid file (\S+) with wrong pid \d+)\n(.* \(\d+\) appears to have stopped)$/gm,
      (_m, stale: string | undefined, wrong: string | undefined, stopped: string) =>
        `Removing pid file ${stale ?? wrong} of a process that exited\n${stopped}`,
    )
    .replaceAll(root, 'ROOT')
    .replace(/pid: \d+/g, 'pid: PID')
    .replace(/\((\d+) - /g, '(PID - ')
    .replace(/ \(\d+\) appears/g, ' (PID) appears')
    .replace(/with wrong pid \d+/g, 'with wrong pid PID')
    .replace(/signal PID \d+/g, 'signal PID PID')
    .replace(/listening on \d+/g, 'listening on PORT')
}

/** A readable transcript: each command, its exit status, stdout, then stderr (if any). */
export function transcript(steps: readonly Step[], root: string, unordered = false): Transcript {
  return steps
    .map(({ argv, result }) => {
      const status = result.timedOut
        ? 'still running (stopped by the harness)'
        : `exit ${result.code}`
      const lines = (text: string) => {
        const norm = normalise(text, root)
        return unordered
          ? norm.split('\n').filter(Boolean).sort().join('\n')
          : norm.replace(/\n$/, '')
      }
      const out = lines(result.stdout)
      const err = lines(result.stderr)
      return [
        `$ swift-init ${argv.join(' ')}  → ${status}`,
        out,
        ...(err ? ['--- stderr', err] : []),
      ]
        .filter((l) => l !== '')
        .join('\n')
    })
    .join('\n')
}

/** A deliberate difference: where it applies, what ours prints instead, and why. */
export interface Deliberate {
  name: string
  /** Why we differ, in a sentence (the README lists the same). */
  why: string
  applies(s: Scenario): boolean
  /**
   * The transcript ours must produce, from Python's transcript of this
   * scenario and, when needed, of one of its variants (run on Python).
   */
  expect(
    python: Transcript,
    variant: (name: string) => Promise<Transcript>,
    s: Scenario,
  ): Promise<Transcript>
}

export interface Outcome {
  scenario: Scenario
  ours: Transcript
  python: Transcript
  /** The deliberate difference that applied, if any, and what it made of Python's transcript. */
  deliberate?: { name: string; expected: Transcript }
  ok: boolean
  /** Why it is not ok. */
  problem?: string
}

/** Runs a scenario on both tools and judges it. */
export async function compare(
  scenario: Scenario,
  ours: Tool,
  python: Tool,
  makeSandbox: () => Sandbox,
  deliberate: readonly Deliberate[],
): Promise<Outcome> {
  const show = async (s: Scenario, tool: Tool) => {
    const { steps, root } = await runScenario(s, tool, makeSandbox)
    return transcript(steps, root, s.unordered)
  }
  const [o, p] = await Promise.all([show(scenario, ours), show(scenario, python)])
  const rule = deliberate.find((d) => d.applies(scenario))
  if (!rule) {
    return o === p
      ? { scenario, ours: o, python: p, ok: true }
      : { scenario, ours: o, python: p, ok: false, problem: 'ours differs from Python' }
  }
  const variant = (name: string) => {
    const v = scenario.variants?.[name]
    if (!v) throw new Error(`${scenario.id}: no variant ${name} for ${rule.name}`)
    return show(v, python)
  }
  const expected = await rule.expect(p, variant, scenario)
  const base = { scenario, ours: o, python: p, deliberate: { name: rule.name, expected } }
  if (expected === p) {
    return {
      ...base,
      ok: false,
      problem: `deliberate difference "${rule.name}" no longer differs from Python`,
    }
  }
  return o === expected
    ? { ...base, ok: true }
    : { ...base, ok: false, problem: `ours differs from what "${rule.name}" expects` }
}

/** Mismatches as one readable report. */
export function report(outcomes: readonly Outcome[]): string {
  return outcomes
    .filter((o) => !o.ok)
    .map((o) =>
      [
        `✗ ${o.scenario.id}: ${o.problem}`,
        '--- ours',
        o.ours,
        o.deliberate ? `--- expected (${o.deliberate.name})\n${o.deliberate.expected}` : '',
        '--- python',
        o.python,
      ]
        .filter(Boolean)
        .join('\n'),
    )
    .join('\n\n')
}
