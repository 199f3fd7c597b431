/** Strips the common leading indentation of a template literal, so test configs read naturally. */
export function ini(text: string): string {
  const lines = text.replace(/^\n/, '').split('\n')
  const indents = lines.filter((l) => l.trim()).map((l) => l.search(/\S/))
  const cut = Math.min(...indents)
  return lines.map((l) => l.slice(cut)).join('\n')
}
