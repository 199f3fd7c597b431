import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { waitFor } from '@forklift/test-utils'
import { onTestFinished } from 'vitest'

/** Debian's Python: an interpreter nobody here configured, as the receiver. */
export const PYTHON = '/usr/bin/python3'

/** A datagram receiver in another process, and what it got so far. */
export interface Receiver {
  address: string
  pid: number
  datagrams(): Buffer[]
  texts(): string[]
  stop(): Promise<void>
}

/** Starts the Python receiver (`unix PATH` or `udp`), resolved once it has bound its socket. */
export async function startReceiver(kind: 'unix' | 'udp', path?: string): Promise<Receiver> {
  const script = fileURLToPath(new URL('./fixtures/dgram-receiver.py', import.meta.url))
  const child = spawn(PYTHON, [script, kind, ...(path ? [path] : [])], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.on('data', (d) => {
    out += d
  })
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin.end()
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    }
  }
  onTestFinished(stop)
  const address = await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`the receiver exited with ${child.exitCode}`)
    return /^ready (.+)$/m.exec(out)?.[1]
  }, `the ${kind} receiver`)
  const datagrams = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => Buffer.from((JSON.parse(l) as { hex: string }).hex, 'hex'))
  return {
    address,
    pid: child.pid!,
    datagrams,
    texts: () => datagrams().map((d) => d.toString('utf8')),
    stop,
  }
}

/** The source of this package's built entry, for scripts run in child processes. */
export const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url))
export const DIST_CONF = fileURLToPath(new URL('../dist/conf.js', import.meta.url))
