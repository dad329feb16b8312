import { readdirSync, existsSync } from 'node:fs'
import { defineConfig } from 'vitest/config'

// One vitest run covers every workspace package that has tests. Workspace imports resolve to
// TypeScript sources through the `@kibitz/source` export condition, so tests never need a build.
const dirs = ['packages', 'apps', 'bench', 'scripts'].flatMap((top) =>
  existsSync(top)
    ? top === 'bench' || top === 'scripts'
      ? [top]
      : readdirSync(top, { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => `${top}/${d.name}`)
    : [],
)

export default defineConfig({
  resolve: { conditions: ['@kibitz/source', 'module', 'node', 'default'] },
  ssr: { resolve: { conditions: ['@kibitz/source', 'module', 'node', 'default'] } },
  test: {
    projects: dirs.map((root) => ({
      extends: true,
      test: {
        name: root.split('/').pop(),
        root,
        include: [
          'src/**/*.test.ts',
          'test/**/*.test.ts',
          ...(root === 'scripts' ? ['*.test.ts'] : []),
        ],
        pool: 'forks',
        testTimeout: 30_000,
        hookTimeout: 60_000,
      },
    })),
  },
})
