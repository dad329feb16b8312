/**
 * Summarize the first-frame allocation samples (`KIBITZ_BENCH_HEAP=1`, bench/README.md): per system
 * (the file name's prefix), the KiB a page allocated from navigation to its first frame, and the
 * functions that allocated it, by their own allocations and with their callees'.
 * Usage: node --import tsx lib/heapprofile.ts <dir> [top=20]
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number }
  selfSize: number
  children: HeapNode[]
}

const [dir, topArg] = process.argv.slice(2)
if (!dir) throw new Error('usage: heapprofile.ts <dir> [top]')
const top = Number(topArg ?? 20)
const kib = (bytes: number, pages: number) => `${(bytes / pages / 1024).toFixed(0).padStart(7)} KiB`

const bySystem = new Map<string, string[]>()
for (const file of readdirSync(dir).filter((f) => f.endsWith('.heapprofile'))) {
  const system = file.slice(0, file.indexOf('-'))
  bySystem.set(system, [...(bySystem.get(system) ?? []), file])
}
for (const [system, files] of bySystem) {
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  let total = 0
  const walk = (node: HeapNode, stack: readonly string[]): void => {
    const f = node.callFrame
    const key = `${f.functionName || '(anonymous)'} ${f.url ? `${f.url.replace(/^.*\//, '')}:${f.lineNumber + 1}` : ''}`
    total += node.selfSize
    self.set(key, (self.get(key) ?? 0) + node.selfSize)
    const path = stack.includes(key) ? stack : [...stack, key]
    for (const k of path) inclusive.set(k, (inclusive.get(k) ?? 0) + node.selfSize)
    for (const child of node.children) walk(child, path)
  }
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { head: HeapNode }
    walk(profile.head, [])
  }
  const list = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `${kib(v, files.length)}  ${k}`)
      .join('\n')
  console.log(`${system}: ${kib(total, files.length)} per page (${files.length} pages)`)
  console.log(`  by function:\n${list(self)}`)
  console.log(`  with callees:\n${list(inclusive)}\n`)
}
