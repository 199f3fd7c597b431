import { tempFiles } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import {
  configAutoIntValue,
  configFalseValue,
  configFloatValue,
  configIntValue,
  configPositiveIntValue,
  configRequired,
  configTrueValue,
  listFromCsv,
  loadConfig,
} from '../src/index.js'
import { errorOf } from './helpers.js'

describe('value helpers', () => {
  it('configTrueValue / configFalseValue read Swift`s words in any case', () => {
    for (const v of ['true', 'TRUE', '1', 'yes', 'On', 't', 'Y', true]) {
      expect([v, configTrueValue(v)]).toEqual([v, true])
    }
    for (const v of ['false', '0', 'no', 'off', 'F', 'n', '', 'maybe', '2', undefined, false]) {
      expect([v, configTrueValue(v)]).toEqual([v, false])
    }
    for (const v of ['false', 'False', '0', 'no', 'OFF', 'f', 'n', false]) {
      expect([v, configFalseValue(v)]).toEqual([v, true])
    }
    for (const v of ['true', '', 'nope', undefined, true]) {
      expect([v, configFalseValue(v)]).toEqual([v, false])
    }
  })

  it('configAutoIntValue: unset or auto → the default, else an integer, else E_CONFIG_VALUE naming the place', () => {
    expect(configAutoIntValue(undefined, 8)).toBe(8)
    expect(configAutoIntValue('auto', 8)).toBe(8)
    expect(configAutoIntValue(' AUTO ', 8)).toBe(8)
    expect(configAutoIntValue('0', 8)).toBe(0)
    expect(configAutoIntValue(' 12 ', 8)).toBe(12)
    expect(configAutoIntValue('1_000', 8)).toBe(1000)
    const where = {
      file: '/etc/swift/object-server.conf',
      section: 'DEFAULT',
      key: 'workers',
      line: 3,
    }
    const err = errorOf(() => configAutoIntValue('lots', 8, where))
    expect(err).toMatchObject({ code: 'E_CONFIG_VALUE', ...where })
    expect(err.message).toBe(
      '/etc/swift/object-server.conf:3 [DEFAULT] workers: must be an integer or "auto", not "lots"',
    )
    expect(errorOf(() => configAutoIntValue('2.5', 8)).code).toBe('E_CONFIG_VALUE')
  })

  it('configIntValue / configFloatValue: syntax, ranges, missing values', () => {
    expect(configIntValue('-3')).toBe(-3)
    expect(configIntValue(7)).toBe(7)
    expect(configIntValue('4', {}, { min: 1, max: 4 })).toBe(4)
    expect(errorOf(() => configIntValue('5', { key: 'k' }, { min: 1, max: 4 })).message).toBe(
      'k: must be between 1 and 4, not "5"',
    )
    expect(errorOf(() => configIntValue('0x10')).code).toBe('E_CONFIG_VALUE')
    expect(errorOf(() => configIntValue('99999999999999999999')).code).toBe('E_CONFIG_VALUE')
    expect(errorOf(() => configIntValue(undefined, { key: 'bind_port' })).code).toBe(
      'E_CONFIG_MISSING_KEY',
    )
    expect(errorOf(() => configPositiveIntValue('0')).message).toBe('must be at least 1, not "0"')
    expect(configFloatValue('2.5')).toBe(2.5)
    expect(configFloatValue('.5')).toBe(0.5)
    expect(configFloatValue('1e3')).toBe(1000)
    expect(configFloatValue('60')).toBe(60)
    for (const bad of ['', 'abc', 'inf', 'nan', '1.2.3', '1e']) {
      expect([bad, errorOf(() => configFloatValue(bad)).code]).toEqual([bad, 'E_CONFIG_VALUE'])
    }
    expect(errorOf(() => configFloatValue('-1', {}, { min: 0 })).code).toBe('E_CONFIG_VALUE')
  })

  it('listFromCsv and configRequired', () => {
    expect(listFromCsv(' a, b ,,c ,')).toEqual(['a', 'b', 'c'])
    expect(listFromCsv('')).toEqual([])
    expect(listFromCsv(undefined)).toEqual([])
    expect(configRequired({ a: '' }, 'a')).toBe('')
    expect(errorOf(() => configRequired({}, 'toString', { section: 's' }))).toMatchObject({
      code: 'E_CONFIG_MISSING_KEY',
      section: 's',
      key: 'toString',
    })
  })

  it('reports a bad value from a real file with the line where it was set', () => {
    const { write } = tempFiles()
    const file = write('object-server.conf', '[DEFAULT]\nworkers = lots\n[app:object-server]\n')
    const config = loadConfig(file)
    const conf = config.section('app:object-server')
    const err = errorOf(() =>
      configAutoIntValue(conf.workers, 2, config.where('app:object-server', 'workers')),
    )
    expect(err.message).toBe(
      `${file}:2 [app:object-server] workers: must be an integer or "auto", not "lots"`,
    )
  })
})
