import { RUN_DIR, SWIFT_DIR } from '@forklift/paths'

/**
 * A family of servers that one manager drives: which servers exist, how
 * they are grouped, which understand which signals, how their binaries are
 * named and where their files live. Swift's is the default; another project
 * passes its own (its names, `forklift-` binaries, its conf dir).
 */
export interface ServerFamily {
  /** Every server, in the order `all` lists them; globs match against these. */
  servers: readonly string[]
  /** Reserved words that stand for groups of servers (`all`, `main`, `rest`). */
  aliases: Readonly<Record<string, readonly string[]>>
  /** Servers that treat SIGHUP as a graceful shutdown (`shutdown`, `reload`, `-g`). */
  gracefulServers: readonly string[]
  /** Servers that treat SIGUSR1 as a seamless re-exec (`reload-seamless`). */
  seamlessServers: readonly string[]
  /** Daemons that can run one pass (`once` passes them `once`). */
  onceServers: readonly string[]
  /** Servers that own their conf name instead of sharing `<type>-server.conf`. */
  standaloneServers: readonly string[]
  /** Binary name rule: `<binaryPrefix><server>` unless `binaries` names it. */
  binaryPrefix: string
  /** Explicit binary names, by server. */
  binaries?: Readonly<Record<string, string>>
  /**
   * Servers that read their config from another server's confs when those
   * hold a given section, else from their own (swift's object-expirer reads
   * `[object-expirer]` in object-server.conf, else object-expirer.conf, with
   * a deprecation warning for the latter).
   */
  confFrom?: Readonly<Record<string, { search: string; section: string; fallbackWarning?: string }>>
  /** Default conf dir. */
  confDir: string
  /** Default run dir (pid files). */
  runDir: string
}

const ALL_SERVERS = [
  'account-auditor',
  'account-server',
  'container-auditor',
  'container-replicator',
  'container-reconciler',
  'container-server',
  'container-sharder',
  'container-sync',
  'container-updater',
  'object-auditor',
  'object-server',
  'object-expirer',
  'object-replicator',
  'object-reconstructor',
  'object-updater',
  'proxy-server',
  'account-replicator',
  'account-reaper',
] as const
const MAIN_SERVERS = ['proxy-server', 'account-server', 'container-server', 'object-server']
const REST_SERVERS = ALL_SERVERS.filter((s) => !MAIN_SERVERS.includes(s))

/** OpenStack Swift's servers, as swift/common/manager.py lists them. */
export const SWIFT_FAMILY: ServerFamily = Object.freeze({
  servers: ALL_SERVERS,
  aliases: { all: ALL_SERVERS, main: MAIN_SERVERS, rest: REST_SERVERS },
  gracefulServers: MAIN_SERVERS,
  seamlessServers: MAIN_SERVERS,
  onceServers: REST_SERVERS,
  standaloneServers: ['container-reconciler'],
  binaryPrefix: 'swift-',
  confFrom: {
    'object-expirer': {
      search: 'object-server',
      section: 'object-expirer',
      fallbackWarning:
        "WARNING: object-expirer.conf is deprecated. Move object-expirers' configuration into object-server.conf.",
    },
  },
  confDir: SWIFT_DIR,
  runDir: RUN_DIR,
})

/** A family on top of Swift's: whatever is given replaces Swift's value. */
export function defineFamily(overrides: Partial<ServerFamily>): ServerFamily {
  return Object.freeze({ ...SWIFT_FAMILY, ...overrides })
}

/** The binary a family runs for a server: `swift-object-server` by default. */
export function binaryName(family: ServerFamily, server: string): string {
  return family.binaries?.[server] ?? `${family.binaryPrefix}${server}`
}
