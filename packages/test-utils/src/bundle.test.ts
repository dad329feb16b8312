import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runInNewContext } from 'node:vm'
import { afterAll, describe, expect, it } from 'vitest'
import { bundleForBrowser } from './bundle.js'

const dir = mkdtempSync(join(tmpdir(), 'kibitz-bundle-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Run an IIFE bundle in a fresh context with no Node globals; returns what it put on `out`. */
function run(js: string): unknown {
  const sandbox: { out?: unknown } = {}
  runInNewContext(js, sandbox)
  return sandbox.out
}

describe('bundleForBrowser', () => {
  it('injects Buffer and process where a page uses them free (simple-peer pages)', async () => {
    const entry = join(dir, 'uses-buffer.ts')
    writeFileSync(entry, "globalThis.out = [Buffer.from('hi').length, typeof process.nextTick]\n")
    const js = await bundleForBrowser({ entry, resolveDir: dir })
    expect(run(js)).toEqual([2, 'function'])
  })

  it('with nodeShims: false carries no polyfill, as an app bundler would build the page', async () => {
    const entry = join(dir, 'plain.ts')
    writeFileSync(entry, "globalThis.out = ['h', 'i'].length\n")
    const shimmed = await bundleForBrowser({ entry, resolveDir: dir })
    const plain = await bundleForBrowser({ entry, resolveDir: dir, nodeShims: false })
    // The injected shim rides along even where nothing uses it: that is the ~29 KB it saves.
    expect(shimmed).toContain('TYPED_ARRAY_SUPPORT')
    expect(shimmed.length - plain.length).toBeGreaterThan(20_000)
    expect(plain).not.toContain('TYPED_ARRAY_SUPPORT')
    expect(run(plain)).toBe(2)
  })
})
