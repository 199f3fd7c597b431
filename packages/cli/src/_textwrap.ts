// Line filling as Python's textwrap does it by default (break on whitespace
// and after hyphens inside words, drop whitespace at line ends, cut words
// longer than a line), so that help laid out for a Python program comes out
// the same, to the column.

const isSpace = (c: string | undefined) => c !== undefined && /\s/u.test(c)
const isWordChar = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}_]/u.test(c)
// A letter in textwrap's sense: a word character that is not a digit.
const isLetter = (c: string | undefined) => isWordChar(c) && !/\p{Nd}/u.test(c ?? '')
const isWordPunct = (c: string | undefined) =>
  isWordChar(c) || (c !== undefined && `!"'&.,?`.includes(c))

/** Where a run of hyphens that starts at `i` ends, when it is a dash between words (`a--b`); else -1. */
function dashEnd(word: string, i: number): number {
  if (!isWordPunct(word[i - 1]) || word[i] !== '-' || word[i + 1] !== '-') return -1
  let j = i
  while (word[j] === '-') j++
  return isWordChar(word[j]) ? j : -1
}

/** May a word be broken right after the hyphen at `h`? (`non-zero` → `non-` `zero`.) */
function breaksAfterHyphen(word: string, h: number): boolean {
  const before =
    (isLetter(word[h - 2]) && isLetter(word[h - 1])) ||
    (isLetter(word[h - 3]) && word[h - 2] === '-' && isLetter(word[h - 1]))
  const after =
    isLetter(word[h + 1]) &&
    (isLetter(word[h + 2]) || (word[h + 2] === '-' && isLetter(word[h + 3])))
  return before && after
}

/** The pieces a run without whitespace may be broken into. */
function splitWord(word: string): string[] {
  const pieces: string[] = []
  let start = 0
  while (start < word.length) {
    const dash = dashEnd(word, start)
    if (dash !== -1) {
      pieces.push(word.slice(start, dash))
      start = dash
      continue
    }
    let end = start + 1
    for (; end < word.length; end++) {
      if (word[end - 1] === '-' && end - 1 > start && breaksAfterHyphen(word, end - 1)) break
      if (dashEnd(word, end) !== -1) break
    }
    pieces.push(word.slice(start, end))
    start = end
  }
  return pieces
}

function chunks(text: string): string[] {
  const out: string[] = []
  for (const run of text.match(/\s+|\S+/gu) ?? []) {
    if (isSpace(run[0])) out.push(run)
    else out.push(...splitWord(run))
  }
  return out
}

/** `text` filled into lines of at most `width` columns (Python's `textwrap.wrap`). */
export function wrap(text: string, width: number): string[] {
  // Tabs to 8-column stops, then every whitespace character is a space.
  let col = 0
  let expanded = ''
  for (const c of text) {
    if (c === '\t') {
      const n = 8 - (col % 8)
      expanded += ' '.repeat(n)
      col += n
    } else {
      expanded += c
      col = c === '\n' || c === '\r' ? 0 : col + 1
    }
  }
  const pending = chunks(expanded.replace(/\s/gu, ' ')).reverse()
  const lines: string[] = []
  while (pending.length) {
    const line: string[] = []
    let len = 0
    // Whitespace that would start a line goes, except at the very start.
    if (lines.length && pending[pending.length - 1]!.trim() === '') pending.pop()
    while (pending.length) {
      const next = pending[pending.length - 1]!
      if (len + next.length > width) break
      line.push(next)
      len += next.length
      pending.pop()
    }
    const next = pending[pending.length - 1]
    if (next !== undefined && next.length > width) {
      // A word longer than a line: cut it, after a hyphen if one fits (what
      // is left of a line that ends in a space may be nothing at all).
      const room = width < 1 ? 1 : width - len
      let end = room
      const hyphen = next.lastIndexOf('-', room - 1)
      if (hyphen > 0 && /[^-]/.test(next.slice(0, hyphen))) end = hyphen + 1
      line.push(next.slice(0, end))
      len += end
      pending[pending.length - 1] = next.slice(end)
    }
    if (line.length && line[line.length - 1]!.trim() === '') {
      len -= line.pop()!.length
    }
    if (line.length) lines.push(line.join(''))
  }
  return lines
}
