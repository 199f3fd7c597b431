// Loads the addon once, on first use: importing a subpath costs nothing until
// one of its functions runs.
import { PosixError } from './errors.js'

// Built-ins by process.getBuiltinModule, not import: an ESM import of one
// builds a facade that reads every export, lazy ones too (~10 ms a process).
const { constants } = process.getBuiltinModule('node:os')
const { fileURLToPath } = process.getBuiltinModule('node:url')
const { getSystemErrorMap } = process.getBuiltinModule('node:util')

/** A received datagram as the addon returns it: [data, from, pid, uid, gid]. */
export type RawMessage = [Buffer, Buffer | undefined, number?, number?, number?]

/** The addon's functions (native/posix.c); errors come back as -errno. */
export interface Native {
  sigmask(how: 0 | 1 | 2, signo: number): number
  blockedSignals(): number[]
  pendingSignals(): number[] | number
  socket(nonblocking: boolean): number
  setSendTimeout(fd: number, ms: number): number
  bind(fd: number, address: Buffer): number
  connect(fd: number, address: Buffer): number
  send(fd: number, data: ArrayBufferView, address: Buffer | null): number
  recv(fd: number): RawMessage | number
  watch(fd: number, callback: (m: RawMessage | number) => void): object | number
  unwatch(handle: object): number
  watchRef(handle: object, ref: boolean): number
  close(fd: number): number
  getrlimit(pid: number, resource: number): [number, number] | number
  setrlimit(pid: number, resource: number, soft: number, hard: number): number
  rlimits: Record<string, number>
  setCloexec(fd: number, on: boolean): number
  reap(pid: number): [number, number] | null | number
  /** Absent from an addon built before it was added (an old prebuild). */
  mainThread?(): boolean
}

let loaded: Native | undefined

/** The addon, loaded on first call; throws PosixError E_NATIVE where there is none. */
export function native(): Native {
  if (loaded) return loaded
  const key = `${process.platform}-${process.arch}`
  const file = fileURLToPath(new URL(`../prebuilds/${key}/forklift-posix.node`, import.meta.url))
  if (process.platform !== 'linux') {
    throw new PosixError('E_NATIVE', `@forklift/posix works on Linux only, not ${key}`)
  }
  const module = { exports: {} as Native }
  try {
    process.dlopen(module, file, constants.dlopen.RTLD_NOW)
  } catch (err) {
    throw new PosixError(
      'E_NATIVE',
      `@forklift/posix cannot load ${file} (${(err as Error).message}); build it with \`node ${fileURLToPath(new URL('../scripts/build-native.mjs', import.meta.url))}\` (needs cc)`,
      { cause: err },
    )
  }
  loaded = module.exports
  return loaded
}

let errnoNames: Map<number, [string, string]> | undefined

function errnoName(errno: number): [string, string] | undefined {
  const name = Object.entries(constants.errno).find(([, n]) => n === errno)?.[0]
  return name ? [name, 'system error'] : undefined
}

/** A PosixError E_SYSCALL for `-errno` returned by the addon. */
export function syscallError(result: number, syscall: string, subject?: string): PosixError {
  errnoNames ??= getSystemErrorMap()
  // libuv's map lacks a few errnos (ECHILD): name those from os.constants.
  const [name, text] = errnoNames.get(result) ??
    errnoName(-result) ?? [`errno ${-result}`, 'unknown error']
  return new PosixError(
    'E_SYSCALL',
    `${syscall}${subject ? ` ${subject}` : ''}: ${name} (${text})`,
    { errno: name, syscall },
  )
}
