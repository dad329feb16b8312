import { readFileSync, readdirSync } from 'node:fs'
const [dir, tag, mode, nArg] = process.argv.slice(2) as [string, string, string, string]
const self = new Map<string, number>(), incl = new Map<string, number>()
const cats: Record<string, number> = {}
let n = 0
for (const f of readdirSync(dir).filter((f) => f.startsWith(tag + '-') && f.endsWith('.cpuprofile'))) {
  n++
  const p = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'))
  const byId = new Map<number, any>(p.nodes.map((x: any) => [x.id, x]))
  const parent = new Map<number, number>()
  for (const x of p.nodes) for (const c of x.children ?? []) parent.set(c, x.id)
  const key = (x: any) => `${x.callFrame.functionName || '(anon)'}:${x.callFrame.lineNumber}`
  p.samples.forEach((id: number, i: number) => {
    const ms = (p.timeDeltas[i] ?? 0) / 1000
    const x = byId.get(id)
    const nm = x.callFrame.functionName
    const c = ['(idle)', '(program)', '(garbage collector)'].includes(nm) ? nm : x.callFrame.url ? 'js' : 'native'
    cats[c] = (cats[c] ?? 0) + ms
    if (!x.callFrame.url) return
    self.set(key(x), (self.get(key(x)) ?? 0) + ms)
    const seen = new Set<string>()
    for (let c: number | undefined = id; c !== undefined; c = parent.get(c)) {
      const y = byId.get(c)
      if (!y.callFrame.url) continue
      const k = key(y)
      if (seen.has(k)) continue
      seen.add(k)
      incl.set(k, (incl.get(k) ?? 0) + ms)
    }
  })
}
console.log(Object.fromEntries(Object.entries(cats).map(([k, v]) => [k, +(v / n).toFixed(1)])))
const m = mode === 'self' ? self : incl
for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(nArg ?? 40))) console.log((v / n).toFixed(1).padStart(7), k)
