export { type LoadServerConfOptions, loadServerConf, type ServerConf } from './appconfig.js'
export { Config, type LoadConfigOptions, loadConfig, pasteDefaults } from './config.js'
export {
  ConfigError,
  type ConfigErrorCode,
  type ConfigWhere,
  describeWhere,
  isConfigError,
  LocatedError,
} from './errors.js'
export {
  isUrlMapUse,
  loadPasteApp,
  type PasteApp,
  type PasteComposite,
  type PasteFilter,
  type PasteFiltered,
  type PasteNode,
  type PastePipeline,
  type PasteRoute,
  type PasteUrlMap,
  type PasteUse,
  parsePasteUse,
} from './paste.js'
export {
  configAutoIntValue,
  configFalseValue,
  configFloatValue,
  configIntValue,
  configPositiveIntValue,
  configRequired,
  configTrueValue,
  configWorkersValue,
  FALSE_VALUES,
  listFromCsv,
  MAX_WORKERS,
  type NumberRange,
  TRUE_VALUES,
} from './values.js'
