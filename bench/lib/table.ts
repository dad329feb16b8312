/** Plain-text table printing for benchmark output. */

export type Cell = string | number

function fmt(c: Cell): string {
  if (typeof c === 'string') return c
  if (!Number.isFinite(c)) return String(c)
  if (Number.isInteger(c)) return c.toLocaleString('en-US')
  return Math.abs(c) >= 100 ? c.toFixed(0) : Math.abs(c) >= 10 ? c.toFixed(1) : c.toFixed(2)
}

/** Render rows under a header as an aligned, pipe-separated table (Markdown-compatible). */
export function renderTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cells = [header.map(String), ...rows.map((r) => r.map(fmt))]
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  const line = (r: readonly string[]) =>
    `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`
  const sep = `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`
  return [line(cells[0]!), sep, ...cells.slice(1).map(line)].join('\n')
}
