import { fileURLToPath } from 'node:url'
import { MEDIA_LANES } from '@kibitz/protocol'
import {
  bundleForBrowser,
  launchChromium,
  requireChromium,
  serveStatic,
  type ChromiumHandle,
  type StaticServer,
} from '@kibitz/test-utils'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { KibMediaPage } from './testing/browser-media-page.js'

/**
 * Media lanes in real Chromium (M33–M35): two meshes in one page on the browser's own
 * RTCPeerConnection, browser placeholders (canvas + AudioContext), Chromium's fake camera and
 * microphone. Proves the lane mapping and the answerer's reuse of the offer's transceivers on
 * Chromium too (the roam tests prove them on libwebrtc in Node). Page side:
 * ./testing/browser-media-page.ts.
 */

const chromiumPath = requireChromium('the mesh media browser tests')
const PAGE_ENTRY = fileURLToPath(new URL('./testing/browser-media-page.ts', import.meta.url))

let server: StaticServer
let chromium: ChromiumHandle

beforeAll(async () => {
  if (!chromiumPath) return
  const js = await bundleForBrowser({
    entry: PAGE_ENTRY,
    resolveDir: fileURLToPath(new URL('.', import.meta.url)),
  })
  server = await serveStatic({
    '/index.html': '<!doctype html><body><script src="/page.js"></script></body>',
    '/page.js': js,
  })
  // The silent AudioContext placeholder runs without a click here (a real page joins on one).
  chromium = await launchChromium({ extraArgs: ['--autoplay-policy=no-user-gesture-required'] })
})

afterAll(async () => {
  await chromium?.stop()
  await server?.close()
})

type Api = KibMediaPage
/** Call `window.kibMedia[name](...args)` in the page. */
function call<K extends keyof Api>(page: Page, name: K, ...args: Parameters<Api[K]>) {
  return page.evaluate(
    ([n, a]) => (window.kibMedia[n as K] as (...x: unknown[]) => unknown)(...(a as unknown[])),
    [name, args] as const,
  ) as Promise<Awaited<ReturnType<Api[K]>>>
}

/** Poll `fn` until `ok` holds of its result; the last result explains a timeout. */
async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const v = await fn()
    if (ok(v)) return v
    if (Date.now() > deadline) throw new Error(`timed out: ${what}: ${JSON.stringify(v)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe.skipIf(!chromiumPath)('media lanes in Chromium', () => {
  it('four lanes up front, placeholders, camera/mic swaps and a gate: no renegotiation', async () => {
    const page = await chromium.newPage(`${server.url}/`, { name: 'media' })
    await page.waitForFunction(() => typeof window.kibMedia === 'object')
    // The browser placeholders: a live 2×2 canvas track and a live AudioContext track.
    const made = await call(page, 'placeholderFacts')
    expect(made.video).toMatchObject({ kind: 'video', readyState: 'live' })
    expect(made.video).toMatchObject({ settings: { width: 2, height: 2 } })
    expect(made.audio).toMatchObject({ kind: 'audio', readyState: 'live' })
    // Chromium: silence from a track generator, no audio graph; elsewhere an AudioContext's.
    expect(made.audioGenerated).toBe(true)
    expect(made.audioFallback).toMatchObject({ kind: 'audio', readyState: 'live' })

    // alice withholds her camera from bob before the link exists.
    await call(page, 'start', ['video'])
    expect(await call(page, 'sdpSent')).toBe(2) // one offer, one answer
    // Every lane is live both ways, and placeholders flow on all of them.
    for (const [who, peer] of [
      ['alice', 'bob'],
      ['bob', 'alice'],
    ] as const) {
      const facts = await until(
        () => call(page, 'facts', who, peer),
        (f) => MEDIA_LANES.every((l) => (f.lanes[l]?.bytes ?? 0) > 0),
        `${who} receives on every lane`,
      )
      expect(facts.live.sort()).toEqual([...MEDIA_LANES].sort())
      expect(facts.lanes.video).toMatchObject({ width: 2, height: 2 })
      expect(facts.lanes.share).toMatchObject({ width: 2, height: 2 })
    }

    // alice's camera: bob is gated on it, so he keeps the placeholder; bob's camera reaches alice.
    await call(page, 'setTrack', 'alice', 'video', 'camera')
    await call(page, 'setTrack', 'bob', 'video', 'camera')
    await call(page, 'setTrack', 'bob', 'audio', 'mic')
    await until(
      () => call(page, 'videoSize', 'alice', 'bob'),
      (s) => s.width === 320 && s.height === 240 && s.tracks === 2,
      "alice plays bob's camera from remoteStream",
    )
    let atBob = await call(page, 'facts', 'bob', 'alice')
    expect(atBob.lanes.video).toMatchObject({ width: 2, height: 2 })
    // Lift the gate: the camera reaches bob on the same link; then gate again.
    await call(page, 'setGate', 'alice', 'bob', [])
    await until(
      () => call(page, 'facts', 'bob', 'alice'),
      (f) => f.lanes.video?.width === 320,
      "bob sees alice's camera once allowed",
    )
    await call(page, 'setGate', 'alice', 'bob', ['video'])
    atBob = await until(
      () => call(page, 'facts', 'bob', 'alice'),
      (f) => f.lanes.video?.width === 2,
      'bob is back on the placeholder',
    )
    // Camera off: back to the placeholder at alice.
    await call(page, 'setTrack', 'bob', 'video', null)
    await until(
      () => call(page, 'facts', 'alice', 'bob'),
      (f) => f.lanes.video?.width === 2,
      "bob's camera off",
    )

    expect(await call(page, 'sdpSent')).toBe(2)
    for (const [who, peer] of [
      ['alice', 'bob'],
      ['bob', 'alice'],
    ] as const) {
      const facts = await call(page, 'facts', who, peer)
      expect(facts.renegotiations).toBe(0)
      expect(facts.policy).toBe('all')
    }
    expect(await call(page, 'errors')).toEqual([])
    await call(page, 'stop')
    await page.close()
  })
})
