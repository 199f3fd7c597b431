import { printable } from '@forklift/errors'
import { type LogDestination, type LogFormat, stderrDestination } from './destination.js'
import { DEFAULT_FACILITY, SYSLOG_SEVERITY } from './levels.js'
import { formatJson, formatText, type LogRecord, noteRecord } from './record.js'
import type { DatagramSender } from './transport.js'

/** The largest datagram we send; longer messages are cut (UDP carries at most 65507 bytes). */
export const MAX_SYSLOG_DATAGRAM = 65_000

/** How a syslog message is cut when it is longer than `maxLength` (Swift's log_max_line_length). */
export function truncateMiddle(text: string, maxLength: number): string {
  if (maxLength <= 0 || text.length <= maxLength) return text
  if (maxLength < 7) return text.slice(0, maxLength)
  const half = Math.floor((maxLength - 5) / 2)
  return `${text.slice(0, half)} ... ${text.slice(text.length - half)}`
}

// Control characters as rsyslog writes them on receipt (#ooo, octal), which is
// also what Swift does to newlines (#012): one record stays one line.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u001f\u007f]/g
const octal = (c: string) => `#${c.charCodeAt(0).toString(8).padStart(3, '0')}`

function cutUtf8(buf: Buffer, max: number): Buffer {
  if (buf.length <= max) return buf
  let end = max
  // back off to the start of a UTF-8 sequence
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--
  return buf.subarray(0, end)
}

/** Options of {@link formatSyslogDatagram} and {@link syslogDestination}. */
export interface SyslogFormatOptions {
  /** Facility code (LOG_LOCAL0 = 16, the default). */
  facility?: number
  /** `text` (default: Swift's plain messages) or `json` (the whole record as the message). */
  format?: LogFormat
  /** Swift's log_max_line_length: longer messages are cut in the middle; 0 (default) = no limit. */
  maxLineLength?: number
  /** The tag before `[pid]`; default each record's `server`. */
  tag?: string
}

/**
 * One record as a syslog datagram, RFC 3164 style as Python's SysLogHandler
 * sends it: `<PRI>server[pid]: message`, where PRI = facility × 8 +
 * severity. No timestamp or hostname: the daemon stamps both on receipt
 * (rsyslog and journald do). The pid in the tag is the process that logged
 * (a worker's, for a line its parent relays), and journald reads it as
 * SYSLOG_PID. Newlines and other control characters are written `#012` as
 * Swift and rsyslog write them.
 */
export function formatSyslogDatagram(record: LogRecord, options: SyslogFormatOptions = {}): Buffer {
  const pri = (options.facility ?? DEFAULT_FACILITY) * 8 + SYSLOG_SEVERITY[record.level]
  const tag = `${printable(options.tag ?? String(record.server)).replace(/[\s:[\]]/g, '_')}[${record.pid}]`
  let message =
    options.format === 'json'
      ? formatJson(record)
      : truncateMiddle(formatText(record, { header: false }), options.maxLineLength ?? 0)
  message = message.replace(CONTROL, octal)
  const buf = Buffer.from(`<${pri}>${tag}: ${message}`)
  return cutUtf8(buf, MAX_SYSLOG_DATAGRAM)
}

// Node's errors name the errno in `code`; a native sender's may carry it as a
// string `errno` beside a `code` of its own (E_SYSCALL).
function errnoName(err: NodeJS.ErrnoException): string {
  const errno = (err as { errno?: unknown }).errno
  return typeof errno === 'string' ? errno : (err.code ?? err.message)
}

/** Options of {@link syslogDestination}. */
export interface SyslogDestinationOptions extends SyslogFormatOptions {
  /** The transport: {@link unixDatagramSender} for `/dev/log`, {@link udpDatagramSender}, or your own. */
  sender: DatagramSender
  /**
   * Where a record goes when syslog cannot take it (no daemon, a stuck
   * receiver): default standard error. Never nowhere.
   */
  fallback?: LogDestination
  /**
   * A destination that already gets every record (the other side of a tee,
   * as oslo.log's use_syslog logs beside the file). When syslog cannot take
   * a record, only the outage warning goes there, once; the record is not
   * written twice. Wins over `fallback`.
   */
  alongside?: LogDestination
  /** Datagrams in flight (the receiver is slow) beyond which records go to `fallback`; default 1024. */
  maxInFlight?: number
}

/**
 * Records to a syslog daemon through `sender`. When a datagram cannot be
 * sent (the daemon is down: ENOENT, ECONNREFUSED) the record goes to the
 * fallback, preceded by one warning for the outage; the next datagram that
 * gets through ends the outage with a note in syslog.
 */
export function syslogDestination(options: SyslogDestinationOptions): LogDestination {
  const { sender } = options
  const maxInFlight = options.maxInFlight ?? 1024
  const fmt: SyslogFormatOptions = {
    facility: options.facility ?? DEFAULT_FACILITY,
    format: options.format ?? 'text',
    maxLineLength: options.maxLineLength ?? 0,
    ...(options.tag === undefined ? {} : { tag: options.tag }),
  }
  let fallback = options.fallback
  let inFlight = 0
  let outage: string | undefined
  let closed = false
  const idle: Array<() => void> = []

  const { alongside } = options
  const toFallback = (record: LogRecord, why: string) => {
    if (alongside) {
      if (outage !== undefined) return
      outage = why
      alongside.write(
        noteRecord(
          record,
          'warn',
          `cannot log to syslog at ${sender.address} (${why}): records go to ${alongside.description} only until it is back`,
        ),
      )
      return
    }
    fallback ??= stderrDestination()
    if (outage === undefined) {
      outage = why
      fallback.write(
        noteRecord(
          record,
          'warn',
          `cannot log to syslog at ${sender.address} (${why}): writing to ${fallback.description} until it is back`,
        ),
      )
    }
    fallback.write(record)
  }
  const settle = () => {
    inFlight--
    if (inFlight === 0) for (const resolve of idle.splice(0)) resolve()
  }
  const send = (record: LogRecord) => {
    inFlight++
    sender.send(formatSyslogDatagram(record, fmt), (err) => {
      settle()
      if (err) return toFallback(record, errnoName(err))
      if (outage !== undefined) {
        const was = outage
        outage = undefined
        send(
          noteRecord(record, 'info', `syslog at ${sender.address} reachable again (was: ${was})`),
        )
      }
    })
  }
  return {
    description: `syslog ${sender.address}`,
    write(record) {
      if (closed) return
      if (inFlight >= maxInFlight) return toFallback(record, `${inFlight} messages not yet taken`)
      send(record)
    },
    flush() {
      if (inFlight === 0) return Promise.resolve()
      return new Promise<void>((resolve) => idle.push(resolve))
    },
    close() {
      closed = true
      sender.close()
    },
  }
}
