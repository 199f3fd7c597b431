import { describe, expect, it } from 'vitest'
import { wrap } from './_textwrap.js'

// Expected lines from Python 3.11's textwrap.wrap(text, width).
describe('wrap', () => {
  it("fills as Python's textwrap: hyphen breaks, dashes, long words, line-end spaces", () => {
    const cases: [string, number, string[]][] = [
      [
        'Return non-zero status code if some config is missing. Default mode if all servers are explicitly named.',
        54,
        [
          'Return non-zero status code if some config is missing.',
          'Default mode if all servers are explicitly named.',
        ],
      ],
      ['--cd swift-init 15)', 5, ['--cd ', 'swift', '-init', '15)']],
      [
        'a-b-c-d re-re-exec x--y aa-bb-cc',
        5,
        ['a-b-', 'c-d', 're-', 're-', 'exec', 'x--y', 'aa-', 'bb-cc'],
      ],
      [
        '/var/run/swift ab-- /var/run/swift supercalifragilisticexpialidocious-and-more',
        15,
        [
          '/var/run/swift',
          'ab--',
          '/var/run/swift ',
          'supercalifragil',
          'isticexpialidoc',
          'ious-and-more',
        ],
      ],
      ['tabs\tand\nnewlines  become   spaces', 12, ['tabs    and', 'newlines', 'become', 'spaces']],
      ['', 10, []],
    ]
    for (const [text, width, lines] of cases) expect(wrap(text, width), text).toEqual(lines)
  })
})
