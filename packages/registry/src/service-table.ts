import type { ClusterStatus, ServiceStatus } from './registry.js'

/** The `service-list` table, as cinder-manage service list prints it (columns sized to fit). */
export function formatServiceTable(services: readonly ServiceStatus[]): string {
  return table(
    ['Binary', 'Host', 'Zone', 'Cluster', 'Status', 'State', 'Last Heartbeat'],
    services.map((s) => [
      s.binary,
      s.host,
      s.availabilityZone,
      s.cluster ?? '',
      s.disabled ? 'disabled' : 'enabled',
      s.up ? 'up' : 'down',
      formatTime(s.lastHeartbeat),
    ]),
  )
}

/** The `cluster list` table, as cinder-manage cluster list prints it. */
export function formatClusterTable(clusters: readonly ClusterStatus[]): string {
  return table(
    ['Name', 'Binary', 'Status', 'State', 'Heartbeat', 'Hosts', 'Down Hosts', 'Updated At'],
    clusters.map((c) => [
      c.name,
      c.binary,
      c.disabled ? 'disabled' : 'enabled',
      c.up ? 'up' : 'down',
      formatTime(c.lastHeartbeat),
      String(c.numHosts),
      String(c.numDownHosts),
      formatTime(c.updatedAt),
    ]),
  )
}

/**
 * The `service-list --json` form: one object per service, snake_case keys
 * (as `swift-init status --json`), times as ISO 8601 UTC or null.
 */
export function serviceListJson(services: readonly ServiceStatus[]): object[] {
  return services.map((s) => ({
    id: s.id,
    uuid: s.uuid,
    binary: s.binary,
    host: s.host,
    cluster: s.cluster,
    availability_zone: s.availabilityZone,
    topic: s.topic,
    state: s.up ? 'up' : 'down',
    disabled: s.disabled,
    disabled_reason: s.disabledReason,
    frozen: s.frozen,
    replication_status: s.replicationStatus,
    active_backend_id: s.activeBackendId,
    report_count: s.reportCount,
    last_heartbeat: iso(s.lastHeartbeat),
    crashed_at: iso(s.crashedAt),
    created_at: iso(s.createdAt),
    updated_at: iso(s.updatedAt),
  }))
}

/** The `cluster list --json` form, keys as serviceListJson's. */
export function clusterListJson(clusters: readonly ClusterStatus[]): object[] {
  return clusters.map((c) => ({
    id: c.id,
    name: c.name,
    binary: c.binary,
    state: c.up ? 'up' : 'down',
    disabled: c.disabled,
    disabled_reason: c.disabledReason,
    frozen: c.frozen,
    replication_status: c.replicationStatus,
    active_backend_id: c.activeBackendId,
    num_hosts: c.numHosts,
    num_down_hosts: c.numDownHosts,
    last_heartbeat: iso(c.lastHeartbeat),
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
  }))
}

function table(headers: readonly string[], rows: readonly string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`
}

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, as cinder prints normalised times; `-` for none. */
function formatTime(d: Date | null): string {
  return d ? d.toISOString().slice(0, 19).replace('T', ' ') : '-'
}
