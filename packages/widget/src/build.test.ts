import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { BUDGET_GZIP_BYTES, buildWidgetScript } from '../scripts/build-iife.mjs'
import { optionsFromScript } from './auto.js'
import { VERSION } from './version.js'

describe('widget.js build', () => {
  it('is one self-contained script under the gzip budget, without Node shims or React', async () => {
    const { text, gzip, byPackage } = await buildWidgetScript()
    expect(gzip).toBeLessThanOrEqual(BUDGET_GZIP_BYTES)
    // The panel runs on preact/compat; simple-peer and its Node stream shims stay out (decisions.md).
    expect(Object.keys(byPackage)).toContain('preact')
    for (const absent of ['react', 'react-dom', 'simple-peer', 'readable-stream', 'buffer']) {
      expect(Object.keys(byPackage), absent).not.toContain(absent)
    }
    // No module loader, no Node built-ins: it runs from a plain <script>.
    expect(text).not.toMatch(/\brequire\(["'](node:|fs|path)/)
    expect(text).not.toMatch(/^import\s|^export\s/m)
  }, 60_000)

  it('VERSION is the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string
    }
    expect(VERSION).toBe(pkg.version)
  })
})

describe('optionsFromScript', () => {
  const tag = (dataset: Record<string, string>) => ({ dataset }) as unknown as HTMLScriptElement

  it('reads the one-liner attributes', () => {
    expect(optionsFromScript(tag({ room: 'room-abc', name: 'Dana' }))).toEqual({
      room: 'room-abc',
      name: 'Dana',
    })
    expect(
      optionsFromScript(tag({ room: 'r', startOpen: '', host: 'Dana', lobby: 'true' })),
    ).toEqual({
      room: 'r',
      startOpen: true,
      host: { kind: 'name', name: 'Dana', lobby: true },
    })
    expect(optionsFromScript(tag({ room: 'r', startOpen: 'false', preview: '' }))).toEqual({
      room: 'r',
      startOpen: false,
      preview: true,
    })
  })

  it('without data-room there is nothing to auto-mount', () => {
    expect(optionsFromScript(tag({ name: 'Dana' }))).toBeNull()
  })
})
