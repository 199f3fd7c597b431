import { describe, expect, it } from 'vitest'
import { osloLogFile } from '../src/volume-config.js'

describe('osloLogFile (oslo.log _get_log_file_path)', () => {
  it('takes log_file, under log_dir when both are set, and <log_dir>/<binary>.log alone', () => {
    expect(osloLogFile(undefined, undefined, 'forklift-volume')).toBeUndefined()
    expect(osloLogFile('volume.log', undefined, 'forklift-volume')).toBe('volume.log')
    expect(osloLogFile('volume.log', '/var/log/cinder', 'forklift-volume')).toBe(
      '/var/log/cinder/volume.log',
    )
    // Python's os.path.join keeps an absolute second part as it is.
    expect(osloLogFile('/srv/log/v.log', '/var/log/cinder', 'forklift-volume')).toBe(
      '/srv/log/v.log',
    )
    expect(osloLogFile(undefined, '/var/log/cinder', 'cinder-volume')).toBe(
      '/var/log/cinder/cinder-volume.log',
    )
  })
})
