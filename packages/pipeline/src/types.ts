import type { IncomingMessage, ServerResponse } from 'node:http'

/** A Node request listener: what an app is, and what a filter wraps. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/** `[DEFAULT]` (plus caller globals and `set` overrides) and a section's own options. */
export type Conf = Record<string, string>

/** paste.app_factory: `use =` of an `[app:x]`. */
export type AppFactory = (
  globalConf: Conf,
  localConf: Conf,
) => RequestListener | Promise<RequestListener>

/** What a filter factory returns: wraps the next app. */
export type Filter = (app: RequestListener) => RequestListener

/** paste.filter_factory: `use =` of a `[filter:x]`. */
export type FilterFactory = (globalConf: Conf, localConf: Conf) => Filter | Promise<Filter>

/** Loads other apps of the same config by name, for composite factories. */
export interface AppLoader {
  getApp(name: string, globalConf?: Conf): Promise<RequestListener>
}

/** paste.composite_factory: `use =` of a `[composite:x]` (other than urlmap). */
export type CompositeFactory = (
  loader: AppLoader,
  globalConf: Conf,
  localConf: Conf,
) => RequestListener | Promise<RequestListener>
