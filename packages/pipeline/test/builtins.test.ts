import { rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { tempFiles } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { loadApp } from '../src/index.js'
import { serve } from './helpers.js'

function head(url: string): Promise<{ status: number; length: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'HEAD' }, (res) => {
      let body = ''
      res.on('data', (c) => {
        body += c
      })
      res.on('end', () =>
        resolve({ status: res.statusCode!, length: res.headers['content-length'], body }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

describe('healthcheck filter', () => {
  it('answers /healthcheck with 200 OK, 503 while disable_path exists, and passes other paths on', async () => {
    const { dir, write } = tempFiles()
    const disable = join(dir, 'disabled')
    const file = write(
      'proxy-server.conf',
      [
        '[DEFAULT]',
        `disable_path = ${disable}`,
        '[pipeline:main]',
        'pipeline = healthcheck proxy',
        '[filter:healthcheck]',
        // Swift's own configs say egg:swift#healthcheck: it is an alias of ours.
        'use = egg:swift#healthcheck',
        '[app:proxy]',
        'use = forklift#hello',
        'message = the app',
      ].join('\n'),
    )
    const { url } = await serve(await loadApp(file))
    const ok = await fetch(`${url}/healthcheck`)
    expect([ok.status, ok.headers.get('content-type'), await ok.text()]).toEqual([
      200,
      'text/plain',
      'OK',
    ])
    expect((await fetch(`${url}/healthcheck?x=1`, { method: 'POST' })).status).toBe(200)
    expect(await head(`${url}/healthcheck`)).toEqual({ status: 200, length: '2', body: '' })
    expect(await (await fetch(`${url}/healthcheck/more`)).text()).toMatch(/^the app \(pid \d+\)\n$/)

    writeFileSync(disable, '')
    const off = await fetch(`${url}/healthcheck`)
    expect([off.status, await off.text()]).toEqual([503, 'DISABLED BY FILE'])
    expect((await fetch(`${url}/other`)).status).toBe(200)
    rmSync(disable)
    expect((await fetch(`${url}/healthcheck`)).status).toBe(200)
  })
})

describe('hello app', () => {
  it('answers with its message and pid, and sleeps on ?sleep=ms', async () => {
    const { write } = tempFiles()
    const file = write('a.conf', '[app:main]\nuse = forklift#hello\n')
    const { url } = await serve(await loadApp(file))
    const res = await fetch(`${url}/anything`)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-forklift-pid')).toBe(String(process.pid))
    expect(await res.text()).toBe(`Hello from forklift (pid ${process.pid})\n`)
    const started = Date.now()
    expect((await fetch(`${url}/?sleep=300`)).status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    expect((await head(url)).body).toBe('')
  })
})
