import { defineCommand, runCommand } from '@forklift/cli'

let out = ''
const io = {
  stdout: { write: (s: string) => (out += s) },
  stderr: { write: (s: string) => (out += s) },
}
const cmd = defineCommand({
  name: 'smoke',
  summary: 'Says what it got.',
  usage: 'smoke [--name NAME]',
  version: '1.2.3',
  options: { name: { type: 'string', description: 'who', default: 'world' } },
  run({ values, stdout }) {
    stdout.write(`hello ${values.name}\n`)
    return 0
  },
})
const results = [
  await runCommand(cmd, ['--name', 'npm'], io),
  await runCommand(cmd, ['--help'], io),
  await runCommand(cmd, ['--version'], io),
  await runCommand(cmd, ['--bogus'], io),
]
if (results.join() !== '0,0,0,2') throw new Error(`statuses ${results.join()}`)
for (const want of [
  'hello npm',
  'Usage: smoke [--name NAME]',
  'smoke 1.2.3',
  "Try 'smoke --help'",
]) {
  if (!out.includes(want)) throw new Error(`missing ${JSON.stringify(want)} in:\n${out}`)
}
console.log('ok @forklift/cli')
