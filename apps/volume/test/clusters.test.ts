// Clusters, availability zones and the operator's remove commands, as
// cinder-volume and cinder-manage have them, with real processes.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, waitFor } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { FIXTURES, linesAbout, listJson, manage, startVolume, volumeConf } from './helpers.js'

const DRIVER = join(FIXTURES, 'ok-driver.mjs')

interface ServiceRow {
  host: string
  cluster: string | null
  availability_zone: string
  state: string
  uuid: string
  frozen: boolean
  replication_status: string
  report_count: number
}

interface ClusterRow {
  name: string
  binary: string
  state: string
  num_hosts: number
  num_down_hosts: number
}

describe('forklift-volume in a cluster', () => {
  it("refuses a backend whose driver is not active-active with cinder's message, runs the others", async () => {
    const dir = tempDir()
    const file = volumeConf(dir, {
      defaults: 'enabled_backends = shared, plain\ncluster = c1\nstorage_availability_zone = az1',
      serviceDownTime: '5',
      sections: `[shared]\nvolume_driver = ${DRIVER}#activeActive\nbackend_availability_zone = az-shared\n[plain]\nvolume_driver = ${DRIVER}#createDriver\n`,
    })
    const args = ['--connection', `sqlite:///${join(dir, 'registry.sqlite')}`]
    const run = startVolume(['--config-file', file])
    await waitFor(() => listJson<ServiceRow>(args)[0]?.state === 'up', 'the shared backend up')
    // The backends start in their own workers: the refused one may speak later.
    const refusalText = `Active-Active configuration is not currently supported by driver ${DRIVER}#createDriver.`
    await waitFor(
      () =>
        linesAbout(run, refusalText).length > 0 &&
        linesAbout(run, 'Volume service node1@plain failed to start.').length > 0,
      'the plain backend refused',
    )
    const refusal = linesAbout(run, refusalText)
    expect(refusal).toEqual([expect.objectContaining({ level: 'error', backend: 'plain' })])
    expect(linesAbout(run, 'Volume service node1@plain failed to start.')).toHaveLength(1)
    const services = listJson<ServiceRow>(args)
    expect(services).toEqual([
      expect.objectContaining({
        host: 'node1@shared',
        cluster: 'c1@shared',
        availability_zone: 'az-shared',
        frozen: false,
        replication_status: 'not-capable',
        uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      }),
    ])
    // The cluster record came with its first service; the refused backend made none.
    expect(listJson<ClusterRow>(args, 'cluster')).toEqual([
      expect.objectContaining({
        name: 'c1@shared',
        binary: 'forklift-volume',
        state: 'up',
        num_hosts: 1,
        num_down_hosts: 0,
      }),
    ])
    const table = manage([...args, 'cluster', 'list'])
    expect(table.stdout.split('\n')[0]).toMatch(
      /^Name\s+Binary\s+Status\s+State\s+Heartbeat\s+Hosts\s+Down Hosts\s+Updated At$/,
    )
    expect(table.stdout).toMatch(/c1@shared\s+forklift-volume\s+enabled\s+up\s+\S+ \S+\s+1\s+0\s/)
    run.child.kill('SIGTERM')
    expect((await run.exited).code).toBe(0)
  })

  it('two hosts in one cluster make one cluster record with two hosts', async () => {
    const dir = tempDir()
    const url = `sqlite:///${join(dir, 'registry.sqlite')}`
    for (const host of ['alpha', 'beta']) {
      const own = tempDir()
      const file = volumeConf(own, {
        connection: url,
        host,
        defaults: 'enabled_backends = shared\ncluster = c1',
        serviceDownTime: '5',
        sections: `[shared]\nvolume_driver = ${DRIVER}#activeActive\n`,
      })
      startVolume(['--config-file', file])
    }
    const args = ['--connection', url]
    const [cluster] = await waitFor(() => {
      const c = listJson<ClusterRow>(args, 'cluster')
      return c[0]?.num_hosts === 2 && c[0].num_down_hosts === 0 && c
    }, 'both hosts in the cluster')
    expect(cluster).toMatchObject({ name: 'c1@shared', state: 'up' })
    expect(listJson<ServiceRow>(args).map((s) => [s.host, s.cluster])).toEqual([
      ['alpha@shared', 'c1@shared'],
      ['beta@shared', 'c1@shared'],
    ])
  })
})

describe('forklift-volume-manage remove commands', () => {
  it('removes a stopped service, and a cluster only when asked to take its services too', async () => {
    const dir = tempDir()
    const file = volumeConf(dir, {
      defaults: 'enabled_backends = a, b\ncluster = c1',
      serviceDownTime: '5',
      sections: `[a]\nvolume_driver = ${DRIVER}#activeActive\n[b]\nvolume_driver = ${DRIVER}#activeActive\n`,
    })
    const url = `sqlite:///${join(dir, 'registry.sqlite')}`
    const args = ['--connection', url]
    const run = startVolume(['--config-file', file])
    await waitFor(() => {
      const l = listJson<ServiceRow>(args)
      return l.length === 2 && l.every((x) => x.state === 'up')
    }, 'two services up')
    run.child.kill('SIGTERM')
    expect((await run.exited).code).toBe(0)

    const removed = manage([...args, 'service', 'remove', 'forklift-volume', 'node1@a'])
    expect([removed.status, removed.stdout]).toEqual([
      0,
      'Service forklift-volume on host node1@a removed.\n',
    ])
    expect(listJson<ServiceRow>(args).map((s) => s.host)).toEqual(['node1@b'])
    const again = manage([...args, 'service', 'remove', 'forklift-volume', 'node1@a'])
    expect([again.status, again.stderr]).toEqual([
      2,
      'Host not found. Failed to remove forklift-volume on node1@a.\n',
    ])

    const busy = manage([...args, 'cluster', 'remove', 'forklift-volume', 'c1@b'])
    expect([busy.status, busy.stderr]).toEqual([
      2,
      "Couldn't remove cluster c1@b because it still has hosts.\n",
    ])
    const all = manage([...args, 'cluster', 'remove', '--recursive', 'forklift-volume', 'c1@b'])
    expect([all.status, all.stdout]).toEqual([
      0,
      'Cluster c1@b successfully removed. And 1 services from the cluster were also removed.\n',
    ])
    const empty = manage([...args, 'cluster', 'remove', 'forklift-volume', 'c1@a'])
    expect([empty.status, empty.stdout]).toEqual([0, 'Cluster c1@a successfully removed.\n'])
    const gone = manage([...args, 'cluster', 'remove', 'forklift-volume', 'c1@a'])
    expect([gone.status, gone.stderr]).toEqual([
      2,
      "Couldn't remove cluster c1@a because it doesn't exist.\n",
    ])
    expect(listJson<ServiceRow>(args)).toEqual([])
    expect(listJson<ClusterRow>(args, 'cluster')).toEqual([])
  })

  it('explains a bad subcommand or its arguments in one line, exit 2', () => {
    const url = `sqlite:///${join(tempDir(), 'r.sqlite')}`
    for (const [argv, line] of [
      [['cluster', 'rename', 'a', 'b'], "unknown cluster action 'rename'"],
      [['service', 'remove', 'forklift-volume'], 'service remove needs BINARY and HOST'],
      [['service', 'list', '--recursive'], '--recursive applies to cluster remove only'],
      [['volume', 'list'], "unknown command 'volume'"],
    ] as const) {
      const r = manage(['--connection', url, ...argv])
      expect(r.status).toBe(2)
      expect(r.stderr).toContain(line)
    }
  })

  it('--version prints the app version, exit 0, with no registry opened', () => {
    const { version } = JSON.parse(readFileSync(join(FIXTURES, '../../package.json'), 'utf8'))
    const r = manage(['--version'])
    expect([r.status, r.stdout, r.stderr]).toEqual([0, `forklift-volume-manage ${version}\n`, ''])
  })
})
