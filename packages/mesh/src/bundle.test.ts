import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

// M39: the main entry never pulls simple-peer (nor its readable-stream, buffer and Node shims)
// into a browser bundle; only the `@kibitz/mesh/simple-peer` subpath does.
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url))
const HEAVY = /simple-peer|readable-stream|\/buffer\//

async function browserBundle(contents: string) {
  const result = await build({
    stdin: { contents, resolveDir: PACKAGE_DIR, loader: 'ts', sourcefile: 'entry.ts' },
    absWorkingDir: PACKAGE_DIR,
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    conditions: ['@kibitz/source', 'browser', 'module', 'import', 'default'],
    define: { global: 'globalThis' },
    metafile: true,
    logLevel: 'silent',
  })
  const js = result.outputFiles[0]!.contents
  return {
    inputs: Object.keys(result.metafile.inputs),
    bytes: js.byteLength,
    gzip: gzipSync(js).byteLength,
  }
}

describe('browser bundle of @kibitz/mesh (M39)', () => {
  it('the main entry is simple-peer-free; the simple-peer subpath is not', async () => {
    const main = await browserBundle("export * from '@kibitz/mesh'")
    expect(main.inputs).toContain('src/mesh.ts')
    expect(main.inputs).toContain('src/rtc-peer-link.ts')
    expect(main.inputs.filter((p) => HEAVY.test(p))).toEqual([])
    const sub = await browserBundle("export * from '@kibitz/mesh/simple-peer'")
    expect(sub.inputs.filter((p) => HEAVY.test(p)).length).toBeGreaterThan(0)
    console.log(
      `[bundle] @kibitz/mesh: ${main.bytes} B minified, ${main.gzip} B gzip; ` +
        `@kibitz/mesh/simple-peer alone: ${sub.bytes} B, ${sub.gzip} B gzip`,
    )
  }, 30_000)
})
