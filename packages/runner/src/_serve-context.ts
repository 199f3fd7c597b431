// What runWsgi hands to both ways of serving (in process, with workers).
import type { MinimalLogger as Logger } from '@forklift/log'
import type { TlsContextOptions } from '@forklift/socket'
import type { WsgiPlan } from './plan.js'

/** What both ways of serving get from runWsgi. */
export interface ServeContext {
  plan: WsgiPlan
  logger: Logger
  tls: TlsContextOptions | undefined
  /** The app section runWsgi was asked for, for the plan of a reload. */
  section: string | undefined
  env: NodeJS.ProcessEnv | undefined
  /** Closes stdout/stderr for swift-init and sends READY=1. */
  announceReady(): unknown
}
