import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, test } from 'vitest'
// @ts-expect-error -- plain ESM script without types
import { checkWorkspace, findCycles } from './check-deps.mjs'

const made: string[] = []
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
})

type Files = Record<string, string>
function workspace(packages: Record<string, { deps?: string[]; dev?: string[]; files: Files }>) {
  const root = mkdtempSync(join(tmpdir(), 'kibitz-deps-'))
  made.push(root)
  for (const [name, { deps = [], dev = [], files }] of Object.entries(packages)) {
    const dir = join(root, 'packages', name.replace('@kibitz/', ''))
    mkdirSync(join(dir, 'src'), { recursive: true })
    const pkg = {
      name,
      dependencies: Object.fromEntries(deps.map((d) => [d, 'workspace:*'])),
      devDependencies: Object.fromEntries(dev.map((d) => [d, 'workspace:*'])),
    }
    writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg))
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true })
      writeFileSync(join(dir, path), text)
    }
  }
  return root
}

describe('dependency-direction check', () => {
  test('the real workspace passes', () => {
    const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
    expect(checkWorkspace(root)).toEqual([])
  })

  test('a downward graph passes', () => {
    const root = workspace({
      '@kibitz/protocol': { files: { 'src/index.ts': 'export const a = 1\n' } },
      '@kibitz/presence': {
        deps: ['@kibitz/protocol'],
        files: { 'src/index.ts': "import { a } from '@kibitz/protocol'\nexport const b = a\n" },
      },
    })
    expect(checkWorkspace(root)).toEqual([])
  })

  test('an upward package dependency fails', () => {
    const root = workspace({
      '@kibitz/protocol': { deps: ['@kibitz/presence'], files: { 'src/index.ts': '' } },
      '@kibitz/presence': { deps: ['@kibitz/protocol'], files: { 'src/index.ts': '' } },
    })
    const v = checkWorkspace(root)
    expect(v.some((x: string) => x.includes('@kibitz/protocol: depends on @kibitz/presence'))).toBe(
      true,
    )
    expect(v.some((x: string) => x.startsWith('package cycle'))).toBe(true)
  })

  test('a sideways source import fails even when declared', () => {
    const root = workspace({
      '@kibitz/protocol': { files: { 'src/index.ts': '' } },
      '@kibitz/presence': { deps: ['@kibitz/protocol'], files: { 'src/index.ts': '' } },
      '@kibitz/mesh': {
        deps: ['@kibitz/protocol'],
        dev: ['@kibitz/presence'],
        files: { 'src/link.ts': "import type { X } from '@kibitz/presence'\nexport type Y = X\n" },
      },
    })
    expect(checkWorkspace(root)).toEqual([
      expect.stringContaining('imports @kibitz/presence, which is not below @kibitz/mesh'),
    ])
  })

  test('tests may use real parts; production code may not', () => {
    const root = workspace({
      '@kibitz/protocol': { files: { 'src/index.ts': '' } },
      '@kibitz/broker': { deps: ['@kibitz/protocol'], files: { 'src/index.ts': '' } },
      '@kibitz/presence': {
        deps: ['@kibitz/protocol'],
        dev: ['@kibitz/broker'],
        files: {
          'src/room.test.ts': "import { x } from '@kibitz/broker'\n",
          'src/room.ts': "// import { x } from '@kibitz/broker'\nexport const y = 1\n",
        },
      },
    })
    expect(checkWorkspace(root)).toEqual([])
  })

  test('undeclared imports, escaping relative imports and React below react fail', () => {
    const root = workspace({
      '@kibitz/protocol': { files: { 'src/index.ts': '' } },
      '@kibitz/call': {
        files: {
          'src/a.ts':
            "import { z } from '@kibitz/protocol'\nimport x from '../../protocol/src/index.js'\nimport { useState } from 'react'\n",
        },
      },
    })
    const v = checkWorkspace(root)
    expect(v).toHaveLength(3)
    expect(v.join('\n')).toMatch(/without declaring it/)
    expect(v.join('\n')).toMatch(/escapes the package/)
    expect(v.join('\n')).toMatch(/only @kibitz\/react and @kibitz\/widget may use React/)
  })

  test('a runtime import cycle inside a package fails; a type-only one does not', () => {
    const root = workspace({
      '@kibitz/protocol': {
        files: {
          'src/a.ts': "import { b } from './b.js'\nexport const a = () => b\n",
          'src/b.ts': "import { a } from './a.js'\nexport const b = () => a\n",
          'src/c.ts': "import type { D } from './d.js'\nexport type C = D\n",
          'src/d.ts': "import type { C } from './c.js'\nexport type D = C | 1\n",
        },
      },
    })
    expect(checkWorkspace(root)).toEqual([
      expect.stringMatching(
        /import cycle: src\/a\.ts → src\/b\.ts|import cycle: src\/b\.ts → src\/a\.ts/,
      ),
    ])
  })

  test('findCycles finds self-loops and larger rings', () => {
    const g = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['d'])],
      ['e', new Set<string>()],
    ])
    const cycles = findCycles(g)
    expect(cycles).toHaveLength(2)
  })
})
