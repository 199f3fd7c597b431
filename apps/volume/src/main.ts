import { defineCommand, ExitError, packageVersion, runMain, UsageError } from '@forklift/cli'
import { createLogger } from '@forklift/log'
import { launchVolumeServices, loadVolumeConfig, VolumeError } from '@forklift/volume'

/** `forklift-volume`: one worker process per enabled backend, each registered and heartbeating. */
export const volumeCommand = defineCommand({
  name: 'forklift-volume',
  version: () => packageVersion(import.meta.url),
  summary: 'Runs one volume service worker per enabled backend (cinder-volume style).',
  usage: 'forklift-volume --config-file FILE [--config-dir DIR] [--verbose]',
  description:
    'Reads [DEFAULT] enabled_backends and one section per backend (volume_driver = <module>#<export>, ' +
    'backend_host, volume_backend_name, backend_availability_zone), registers each backend as ' +
    '<host>@<backend> in the service registry ([database] connection: sqlite:///…, postgresql://… or ' +
    'mysql://…; default a SQLite file under state_path) and keeps one worker process per backend alive. ' +
    'SIGTERM stops, SIGINT exits. SIGHUP (as a daemon) re-reads the configuration: with restart_method = mutate ' +
    '(the default, as cinder-volume) each worker applies its new report_interval, periodic_interval, ' +
    'periodic_fuzzy_delay and service_down_time in place and backends added to or removed from ' +
    'enabled_backends are started or stopped; with reload every worker is replaced.',
  options: {
    'config-file': {
      type: 'string',
      valueName: 'FILE',
      description: 'the configuration file (required)',
    },
    'config-dir': {
      type: 'string',
      valueName: 'DIR',
      description: 'a directory of *.conf files read after --config-file, in sorted order',
    },
    verbose: { type: 'boolean', short: 'v', description: 'log at debug level' },
  },
  examples: ['forklift-volume --config-file /etc/forklift/volume.conf'],
  async run({ values }) {
    const file = values['config-file']
    if (!file) throw new UsageError('--config-file is required')
    const conf = loadVolumeConfig(file, values['config-dir'])
    // The launcher and each worker open log_file safely (no symlink
    // followed) and reopen it on SIGUSR2: rotate by signalling them all.
    // With use_syslog each also sends to syslog, beside the file.
    const log = {
      name: 'forklift-volume',
      verbose: values.verbose === true || conf.debug,
      ...(conf.logFile ? { file: conf.logFile, reopenOnSignal: true } : {}),
      ...(conf.syslog ? { syslog: conf.syslog } : {}),
    }
    try {
      return await launchVolumeServices(conf, {
        logger: createLogger(log),
        workerLog: log,
        reloadConfig: () => loadVolumeConfig(file, values['config-dir']),
      })
    } catch (err) {
      // cinder's own lines, alone on stderr, as cinder-volume ends.
      if (err instanceof VolumeError) throw new ExitError(1, err.message)
      throw err
    }
  },
})

/** The binary's entry point. */
export function main(argv: string[] = process.argv.slice(2)): Promise<never> {
  return runMain(volumeCommand, argv)
}
