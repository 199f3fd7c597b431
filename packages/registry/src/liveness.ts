import { type MinimalLogger as Logger, silentLogger } from '@forklift/log'

/** cinder's defaults, in seconds. */
export const DEFAULT_REPORT_INTERVAL = 10
export const DEFAULT_SERVICE_DOWN_TIME = 60

/**
 * cinder's service_is_up: up when the last heartbeat is at most
 * `serviceDownTime` seconds older than `now` (a service that never reported is down).
 */
export function isServiceUp(
  lastHeartbeat: Date | null,
  now: Date,
  serviceDownTime: number = DEFAULT_SERVICE_DOWN_TIME,
): boolean {
  if (!lastHeartbeat) return false
  return now.getTime() - lastHeartbeat.getTime() <= serviceDownTime * 1000
}

/**
 * cinder's basic_config_check: a down time not above the report interval
 * would flap every service, so it becomes 2.5 x report_interval, with a warning.
 */
export function effectiveServiceDownTime(
  reportInterval: number,
  serviceDownTime: number,
  logger: Logger = silentLogger(),
): number {
  if (reportInterval > 0 && serviceDownTime <= reportInterval) {
    const raised = reportInterval * 2.5
    logger.warn(
      { serviceDownTime, reportInterval, newServiceDownTime: raised },
      `Report interval must be less than service down time. Current config service_down_time: ${serviceDownTime}, report_interval for this service is: ${reportInterval}. Setting global service_down_time to: ${raised}`,
    )
    return raised
  }
  return serviceDownTime
}
