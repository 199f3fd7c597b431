import { describe, expect, it } from 'vitest'
import { defaultConnectionUrl, parseConnectionUrl, redactUrl } from './url.js'

describe('parseConnectionUrl', () => {
  it('reads SQLAlchemy-style sqlite URLs: four slashes absolute, three relative', () => {
    expect(parseConnectionUrl('sqlite:////var/lib/f/x.sqlite')).toMatchObject({
      kind: 'sqlite',
      path: '/var/lib/f/x.sqlite',
    })
    expect(parseConnectionUrl('sqlite:///data/x.sqlite', '/srv')).toMatchObject({
      path: '/srv/data/x.sqlite',
    })
    expect(defaultConnectionUrl('/state')).toBe('sqlite:////state/forklift.sqlite')
  })

  it('accepts postgres, postgresql and postgresql+driver URLs', () => {
    for (const u of [
      'postgres://u:p@h:5432/db',
      'postgresql://u:p@h:5432/db',
      'postgresql+psycopg2://u:p@h:5432/db',
    ]) {
      expect(parseConnectionUrl(u)).toEqual({ kind: 'postgres', url: 'postgres://u:p@h:5432/db' })
    }
  })

  it('accepts mysql, mariadb and mysql+driver URLs, and needs a database name', () => {
    for (const u of [
      'mysql://u:p@h:3306/cinder',
      'mariadb://u:p@h:3306/cinder',
      'mysql+pymysql://u:p@h:3306/cinder',
    ]) {
      expect(parseConnectionUrl(u)).toEqual({ kind: 'mysql', url: 'mysql://u:p@h:3306/cinder' })
    }
    expect(parseConnectionUrl('mysql+pymysql://u:p@h/cinder?charset=utf8mb4')).toEqual({
      kind: 'mysql',
      url: 'mysql://u:p@h/cinder?charset=utf8mb4',
    })
    expect(() => parseConnectionUrl('mysql://u:p@h/')).toThrow(/names no database/)
  })

  it('redacts passwords', () => {
    expect(redactUrl('postgresql://cinder:s3cr:et@db/cinder')).toBe(
      'postgresql://cinder:***@db/cinder',
    )
    expect(redactUrl('sqlite:////x')).toBe('sqlite:////x')
  })
})
