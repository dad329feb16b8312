/**
 * Bundle a server entry (TypeScript) into one self-contained plain-Node ESM file in the OS temp dir, so servers run
 * the way they run in production — compiled JS under plain `node` — and their RSS is not inflated by
 * the tsx loader (which alone adds ~35 MB: a hooks thread with its own V8 isolate).
 * esbuild comes with tsx (no extra dependency).
 */
import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { tmpdir } from 'node:os'

interface EsbuildLike {
  build(options: Record<string, unknown>): Promise<{ errors: unknown[] }>
}

export async function bundleEntry(entry: string, name: string): Promise<string> {
  const require = createRequire(import.meta.resolve('tsx'))
  const esbuild = require('esbuild') as EsbuildLike
  // Outside the repository: nothing for git or eslint to see; overwritten on every run.
  const outDir = join(tmpdir(), 'kibitz-bench')
  mkdirSync(outDir, { recursive: true })
  const outfile = join(outDir, `${name}.mjs`)
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@kibitz/source'],
    // CommonJS dependencies (socket.io, ioredis) call require(); give the ESM bundle one.
    banner: {
      js: "import { createRequire as __kibitzCreateRequire } from 'node:module'; const require = __kibitzCreateRequire(import.meta.url);",
    },
    logLevel: 'error',
  })
  return outfile
}
