/**
 * Summarize a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by package.
 * Usage: node --import tsx lib/cpuprofile.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs'

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
  children?: number[]
}
interface Profile {
  nodes: Node[]
  samples: number[]
  timeDeltas: number[]
}

function pkgOf(url: string): string {
  if (!url) return '(native/vm)'
  const m = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m) return m[1]!
  if (url.startsWith('node:')) return 'node core'
  const w = /\/(packages|bench)\/([^/]+)\//.exec(url)
  return w ? `${w[1]}/${w[2]}` : url
}

const [file, topArg] = process.argv.slice(2)
if (!file) throw new Error('usage: cpuprofile.ts <file> [top]')
const top = Number(topArg ?? 25)
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(prof.nodes.map((n) => [n.id, n]))
const selfUs = new Map<number, number>()
prof.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)))
const total = [...selfUs.values()].reduce((a, b) => a + b, 0)

const byFn = new Map<string, number>()
const byPkg = new Map<string, number>()
for (const [id, us] of selfUs) {
  const n = byId.get(id)!
  const { functionName, url, lineNumber } = n.callFrame
  const key = `${functionName || '(anonymous)'}  ${pkgOf(url)}${url ? `:${lineNumber + 1}` : ''}`
  byFn.set(key, (byFn.get(key) ?? 0) + us)
  const pkg =
    functionName === '(idle)' ||
    functionName === '(program)' ||
    functionName === '(garbage collector)'
      ? functionName
      : pkgOf(url)
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us)
}
const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`)
console.log('\nself time by package:')
for (const [k, v] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, 20))
  console.log(`${pct(v)}  ${k}`)
console.log(`\ntop ${top} functions by self time:`)
for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`${pct(v)}  ${k}`)
