// A pid file naming a process that merely mentions the server — a log
// watcher, an editor, a script given the server's paths as arguments, the
// same binary on another config — must never get a signal from any command.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { alive, killOnFinish, waitFor } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { Site } from './_helpers.js'

const TRAP = `import signal, sys, time
log = sys.argv[0] + '.signals'
def record(sig, frame):
    with open(log, 'a') as f:
        f.write('%d\\n' % sig)
for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGINT, signal.SIGUSR2):
    signal.signal(s, record)
open(sys.argv[0] + '.ready', 'w').close()
while True:
    time.sleep(60)
`

// -k 1: a stranger that survives a signal must not hold the test up 15 s.
const COMMANDS: string[][] = [
  ['status'],
  ['status', '-v'],
  ['stop', '-v', '-k', '1'],
  ['kill', '-k', '1'],
  ['shutdown', '-k', '1'],
  ['reload', '-k', '1'],
  ['force-reload', '-k', '1'],
  ['reload-seamless'],
  ['restart', '-k', '1'],
  ['stop', '-k', '1', '--kill-after-timeout'],
  ['start'],
]

describe('near-miss strangers in a pid file', () => {
  it('are never signalled by any command, and their pid files are not trusted', async () => {
    const site = new Site().install('object-server')
    const conf = site.conf('object-server.conf')
    const other = site.conf('object-server/2.conf')
    const logDir = join(site.root, 'log')
    mkdirSync(logDir)
    const log = join(logDir, 'swift-object-server.log')
    writeFileSync(log, '')
    const trap = join(site.root, 'trap.py')
    writeFileSync(trap, TRAP)
    const fifo = join(site.etc, 'swift-object-server.conf')
    execFileSync('mkfifo', [fifo])
    const binary = join(site.bin, 'swift-object-server')
    const node = process.execPath

    const strangers: { name: string; child: ChildProcess }[] = []
    const start = (
      name: string,
      cmd: string,
      args: string[],
      opts: { argv0?: string; cwd?: string } = {},
    ) => {
      const child = killOnFinish(spawn(cmd, args, { stdio: 'ignore', detached: true, ...opts }))
      strangers.push({ name, child })
      return child
    }
    start('python3 trap.py …/swift-object-server.log', 'python3', [trap, log])
    start('python3 trap.py <binary> <conf>', 'python3', [trap, binary, conf])
    start('tail -f …/swift-object-server.log', 'tail', ['-f', log])
    // `vi swift-object-server.conf`, word for word (cat blocks on the FIFO).
    start('vi swift-object-server.conf', 'cat', ['swift-object-server.conf'], {
      argv0: 'vi',
      cwd: site.etc,
    })
    start('node -e CODE <binary> <conf>', node, ['-e', 'setInterval(() => {}, 1e6)', binary, conf])
    start('sh -c CODE <binary> <conf>', '/bin/sh', ['-c', 'exec sleep 300', binary, conf])
    // The same server binary on another config is not this pid file's server.
    site.conf('object-server/2.conf')
    start('the server on object-server/2.conf', binary, [other])
    await waitFor(() => readFileSync(site.events, 'utf8').includes('"started"'), 'the other server')
    await waitFor(() => {
      try {
        readFileSync(`${trap}.ready`)
        return true
      } catch {
        return false
      }
    }, 'the python strangers to trap signals')

    const signalled: string[] = []
    for (const { name, child } of strangers) {
      for (const args of COMMANDS) {
        // Planted afresh each time: a command may remove a pid file it does not trust.
        mkdirSync(site.run, { recursive: true })
        writeFileSync(site.pidFile('object-server.pid'), `${child.pid}\n`)
        const r = await site.swiftInit(['object', ...args])
        if (r.stdout.includes(`pid: ${child.pid} `) || r.stdout.includes(`(${child.pid} - `)) {
          signalled.push(`${name}: ${args.join(' ')} treated it as the server:\n${r.stdout}`)
        }
        if (!alive(child.pid!)) signalled.push(`${name}: died during ${args.join(' ')}`)
        // restart/reload/start start a real server on object-server.conf: stop it again.
        await site.swiftInit(['object', 'stop', '-k', '1'])
        if (!alive(child.pid!)) break
      }
    }
    let trapped = ''
    try {
      trapped = readFileSync(`${trap}.signals`, 'utf8')
    } catch {}
    expect({ signalled, trapped }).toEqual({ signalled: [], trapped: '' })
  }, 240_000)
})
