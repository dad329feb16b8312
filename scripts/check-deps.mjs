#!/usr/bin/env node
// Dependency-direction check (ARCHITECTURE.md): arrows point down only, and there are no import
// cycles. Fails the build (exit 1) on:
//   - a package depending on, or importing, a @kibitz package above or beside it;
//   - a source file importing a @kibitz package its package.json does not declare;
//   - a relative import that escapes its package;
//   - React imported below @kibitz/react (and never in @kibitz/agent);
//   - a runtime import cycle between source files of a package, or between packages.
// Test files (*.test.ts, src/testing/**, test/**) may also use @kibitz/test-utils and @kibitz/broker
// (real parts), but nothing may import upward from production code.
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs'
import { join, relative, resolve, dirname, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Direct dependencies each layer may have; everything reachable below them is allowed too. */
export const LAYERS = {
  '@kibitz/protocol': [],
  '@kibitz/capabilities': ['@kibitz/protocol'],
  '@kibitz/identity': ['@kibitz/protocol'],
  '@kibitz/presence': ['@kibitz/protocol'],
  '@kibitz/mesh': ['@kibitz/protocol'],
  '@kibitz/call': [
    '@kibitz/presence',
    '@kibitz/mesh',
    '@kibitz/capabilities',
    '@kibitz/identity',
    '@kibitz/protocol',
  ],
  '@kibitz/react': ['@kibitz/call'],
  '@kibitz/widget': ['@kibitz/react', '@kibitz/call'],
  '@kibitz/agent': ['@kibitz/call'],
  '@kibitz/broker': ['@kibitz/protocol', '@kibitz/identity'],
}

/** Packages allowed to import React. */
const REACT_ALLOWED = new Set(['@kibitz/react', '@kibitz/widget'])
/** Extra packages test code may use (real parts). */
const TEST_ONLY = ['@kibitz/test-utils', '@kibitz/broker']

export function allowedDeps(name, layers = LAYERS) {
  const seen = new Set()
  const stack = [...(layers[name] ?? [])]
  while (stack.length) {
    const next = stack.pop()
    if (seen.has(next)) continue
    seen.add(next)
    stack.push(...(layers[next] ?? []))
  }
  return seen
}

const SOURCE_EXT = /\.(m?[jt]sx?)$/
const IMPORT_RE =
  /(?:^|[\s;])(import|export)\s+(type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

function listFiles(dir) {
  if (!existsSync(dir)) return []
  const out = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.'))
      continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...listFiles(path))
    else if (SOURCE_EXT.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

function isTestFile(rel) {
  return (
    /\.test\.[mc]?[jt]sx?$/.test(rel) ||
    rel.split(sep).includes('testing') ||
    rel.startsWith(`test${sep}`)
  )
}

/** Strip comments so commented-out imports don't count. Strings stay (imports live in them). */
function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1')
}

export function parseImports(text) {
  const out = []
  const clean = stripComments(text)
  for (const m of clean.matchAll(IMPORT_RE)) {
    const spec = m[3] ?? m[4]
    if (!spec) continue
    // `import type …`, and `export type …` re-exports, vanish at runtime: they can't form cycles.
    out.push({ spec, typeOnly: Boolean(m[2]) })
  }
  return out
}

function packageOf(spec) {
  if (!spec.startsWith('@kibitz/')) return null
  return spec.split('/').slice(0, 2).join('/')
}

function resolveRelative(fromFile, spec, files) {
  const base = resolve(dirname(fromFile), spec)
  const candidates = [
    base,
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.js$/, '.tsx'),
    base.replace(/\.mjs$/, '.mts'),
    `${base}.ts`,
    `${base}.tsx`,
    join(base, 'index.ts'),
  ]
  return candidates.find((c) => files.has(c)) ?? null
}

/** Tarjan's SCC over a Map<node, Set<node>>; returns the cycles (SCCs of size > 1 or self-loops). */
export function findCycles(graph) {
  let index = 0
  const indices = new Map()
  const low = new Map()
  const onStack = new Set()
  const stack = []
  const cycles = []
  const visit = (v) => {
    indices.set(v, index)
    low.set(v, index)
    index++
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v), low.get(w)))
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), indices.get(w)))
      }
    }
    if (low.get(v) === indices.get(v)) {
      const scc = []
      let w
      do {
        w = stack.pop()
        onStack.delete(w)
        scc.push(w)
      } while (w !== v)
      if (scc.length > 1 || (graph.get(v) ?? new Set()).has(v)) cycles.push(scc.reverse())
    }
  }
  for (const v of graph.keys()) if (!indices.has(v)) visit(v)
  return cycles
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'))
}

/** Check a workspace root; returns a list of human-readable violations. */
export function checkWorkspace(root, layers = LAYERS) {
  const violations = []
  const pkgDirs = []
  for (const top of ['packages', 'apps']) {
    const dir = join(root, top)
    if (!existsSync(dir)) continue
    for (const name of readdirSync(dir)) {
      const pj = join(dir, name, 'package.json')
      if (existsSync(pj)) pkgDirs.push({ dir: join(dir, name), top })
    }
  }

  const packageGraph = new Map()
  for (const { dir, top } of pkgDirs) {
    const pkg = readJson(join(dir, 'package.json'))
    const name = pkg.name
    const isApp = top === 'apps' || pkg.private === true
    const known = Object.hasOwn(layers, name)
    if (!isApp && !known) {
      violations.push(
        `${name}: not in the layer map (scripts/check-deps.mjs LAYERS); place it in the graph`,
      )
    }
    const allowed = isApp ? null : allowedDeps(name, layers)
    const runtimeDeps = { ...pkg.dependencies, ...pkg.peerDependencies }
    const declared = new Set(Object.keys({ ...runtimeDeps, ...pkg.devDependencies }))
    packageGraph.set(name, new Set())

    for (const dep of Object.keys(runtimeDeps)) {
      if (!dep.startsWith('@kibitz/')) continue
      packageGraph.get(name).add(dep)
      if (allowed && !allowed.has(dep)) {
        violations.push(`${name}: depends on ${dep}, which is not below it (ARCHITECTURE.md graph)`)
      }
    }

    const srcRoots = ['src', 'test'].map((d) => join(dir, d)).filter((d) => existsSync(d))
    const files = srcRoots.flatMap(listFiles)
    const fileSet = new Set(files)
    const fileGraph = new Map(files.map((f) => [f, new Set()]))
    for (const file of files) {
      const rel = relative(dir, file)
      const test = isTestFile(rel)
      const text = readFileSync(file, 'utf8')
      for (const { spec, typeOnly } of parseImports(text)) {
        const where = `${name} ${relative(root, file)}`
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec)
          if (!target.startsWith(dir + sep)) {
            violations.push(`${where}: relative import '${spec}' escapes the package`)
            continue
          }
          const resolved = resolveRelative(file, spec, fileSet)
          if (resolved && !typeOnly && !test) fileGraph.get(file).add(resolved)
          continue
        }
        if (/^(react|react-dom)(\/|$)/.test(spec) && !REACT_ALLOWED.has(name) && !isApp) {
          violations.push(
            `${where}: imports '${spec}'; only @kibitz/react and @kibitz/widget may use React`,
          )
        }
        const target = packageOf(spec)
        if (!target || target === name) continue
        if (!declared.has(target)) {
          violations.push(`${where}: imports ${target} without declaring it in package.json`)
        }
        if (allowed && !allowed.has(target) && !(test && TEST_ONLY.includes(target))) {
          violations.push(`${where}: imports ${target}, which is not below ${name}`)
        }
      }
    }
    for (const cycle of findCycles(fileGraph)) {
      violations.push(`${name}: import cycle: ${cycle.map((f) => relative(dir, f)).join(' → ')}`)
    }
  }
  for (const cycle of findCycles(packageGraph)) {
    violations.push(`package cycle: ${cycle.join(' → ')}`)
  }
  return violations
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)
if (isMain) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
  const violations = checkWorkspace(root)
  if (violations.length) {
    console.error(`dependency check: ${violations.length} violation(s)`)
    for (const v of violations) console.error(`  ✗ ${v}`)
    process.exit(1)
  }
  const count = ['packages', 'apps']
    .map((t) => join(root, t))
    .filter((d) => existsSync(d) && statSync(d).isDirectory())
    .flatMap((d) => readdirSync(d)).length
  console.log(`dependency check: ${count} workspace packages, arrows point down, no cycles`)
}
