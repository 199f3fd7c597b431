import type { ServiceStatus } from './registry.js'

const HEADERS = ['Binary', 'Host', 'Cluster', 'Status', 'State', 'Last Heartbeat'] as const

/** The `service-list` table, as cinder-manage service list prints it (columns sized to fit). */
export function formatServiceTable(services: readonly ServiceStatus[]): string {
  const rows = services.map((s) => [
    s.binary,
    s.host,
    s.cluster ?? '',
    s.disabled ? 'disabled' : 'enabled',
    s.up ? 'up' : 'down',
    s.lastHeartbeat ? formatTime(s.lastHeartbeat) : '-',
  ])
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return `${[line(HEADERS), ...rows.map(line)].join('\n')}\n`
}

/** The `--json` form: one object per service, times as ISO 8601 UTC. */
export function serviceListJson(services: readonly ServiceStatus[]): object[] {
  return services.map((s) => ({
    id: s.id,
    binary: s.binary,
    host: s.host,
    cluster: s.cluster,
    topic: s.topic,
    state: s.up ? 'up' : 'down',
    disabled: s.disabled,
    disabledReason: s.disabledReason,
    reportCount: s.reportCount,
    lastHeartbeat: s.lastHeartbeat?.toISOString() ?? null,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  }))
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, as cinder prints normalised times. */
function formatTime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ')
}
