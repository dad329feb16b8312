import { fileURLToPath } from 'node:url'
import { deriveRoomKeys, type SdpMessage } from '@kibitz/protocol'
import {
  bundleForBrowser,
  connectClient,
  launchChromium,
  requireChromium,
  serveStatic,
  socketIoClientScript,
  startBrokerProcess,
  type BrokerProcess,
  type BrokerTestClient,
  type ChromiumHandle,
  type StaticServer,
} from '@kibitz/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loopbackOnly } from './candidates.js'
import { createMesh, type Mesh } from './mesh.js'
import { roamPlaceholders } from './roam-media.js'
import type { KibRoamPage } from './testing/browser-roam-page.js'
import { roam, roamNonstandard, videoSource, watchAudio, watchVideo } from './testing/roam.js'
import { sealedBrokerSignaling } from './testing/sealed-broker-signaling.js'
import { waitFor } from './testing/wait.js'

/**
 * Media between a Node peer on @roamhq/wrtc and a Chromium page (M33, M34): the page's fake
 * camera and microphone decode in Node (roam's RTCVideoSink / RTCAudioSink), a roam source decodes
 * in the page, through the REAL broker (sealed signals) on 127.0.0.1. Here rather than in
 * @kibitz/call: roam is a devDependency of this package only, and the lanes are the mesh's.
 * Page side: ./testing/browser-roam-page.ts. Keep vitest's `pool: 'forks'` (roam, TESTING.md).
 */

const chromiumPath = requireChromium('the roam ↔ browser media test')
const ROOM = 'mesh-roam-browser-room'
const PAGE_ENTRY = fileURLToPath(new URL('./testing/browser-roam-page.ts', import.meta.url))
const MEDIA_MS = 10_000

let broker: BrokerProcess
let server: StaticServer
let chromium: ChromiumHandle
const stops: (() => unknown)[] = []

beforeAll(async () => {
  if (!chromiumPath) return
  const [started, js] = await Promise.all([
    startBrokerProcess(),
    bundleForBrowser({
      entry: PAGE_ENTRY,
      resolveDir: fileURLToPath(new URL('.', import.meta.url)),
    }),
  ])
  broker = started
  server = await serveStatic({
    '/index.html':
      '<!doctype html><body><script src="/socket.io.min.js"></script><script src="/page.js"></script></body>',
    '/socket.io.min.js': socketIoClientScript(),
    '/page.js': js,
  })
  // The silent AudioContext placeholder runs without a click here.
  chromium = await launchChromium({ extraArgs: ['--autoplay-policy=no-user-gesture-required'] })
})

afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
  await chromium?.stop()
  await server?.close()
  await broker?.kill()
})

/** Poll `fn` until `ok` holds of its result; the last result explains a timeout. */
async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + MEDIA_MS
  for (;;) {
    const v = await fn()
    if (ok(v)) return v
    if (Date.now() > deadline) throw new Error(`timed out: ${what}: ${JSON.stringify(v)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe.skipIf(!chromiumPath)('roam ↔ Chromium media over the real broker', () => {
  it("Node decodes the page's camera and microphone; the page decodes a roam source; no renegotiation", async () => {
    const page = await chromium.newPage(`${server.url}/`, { name: 'page' })
    await page.waitForFunction(() => typeof window.kibRoam === 'object')
    const pageId = await page.evaluate(([u, r]) => window.kibRoam.join(u!, r!), [broker.url, ROOM])

    const derived = await deriveRoomKeys(ROOM)
    if (!derived.ok) throw derived.error
    const client: BrokerTestClient = await connectClient(broker.url)
    stops.push(() => client.close())
    const joined = await client.join(derived.value.tag)
    if (!joined.ok) throw joined.error
    const dropped: string[] = []
    const sdp: SdpMessage[] = []
    const sealed = sealedBrokerSignaling(client, derived.value, (r) => dropped.push(r))
    stops.push(() => sealed.close())
    const placeholders = roamPlaceholders(roamNonstandard, { frameIntervalMs: 100 })
    stops.push(() => placeholders.stop())
    const node: Mesh = createMesh({
      self: client.id,
      // Count the SDP this side sends and receives.
      signaling: {
        send: (to, m) => (m.t === 'sdp' && sdp.push(m), sealed.send(to, m)),
        onSignal: (cb) => sealed.onSignal((from, m) => (m.t === 'sdp' && sdp.push(m), cb(from, m))),
      },
      wrtc: roam,
      iceServers: [],
      candidateFilter: loopbackOnly,
      media: { placeholder: placeholders.placeholder },
    })
    stops.push(() => node.close())
    const errors: string[] = []
    node.on('error', ({ error }) => errors.push(`${error.code} ${error.message}`))

    node.setPeers([pageId])
    await page.evaluate((id) => window.kibRoam.setPeers([id]), client.id)
    await waitFor(() => node.connectedPeers().includes(pageId), MEDIA_MS, 'node ↔ page link')
    await waitFor(
      () => Object.values(node.remoteTracks(pageId) ?? {}).every((t) => t !== null),
      MEDIA_MS,
      "the page's four lanes, live in Node",
    )
    const lanes = node.remoteTracks(pageId)!

    // Before the camera: the page's 2×2 canvas placeholder decodes in Node.
    const cam = watchVideo(lanes.video!)
    const share = watchVideo(lanes.share!)
    const mic = watchAudio(lanes.audio!)
    stops.push(
      () => cam.stop(),
      () => share.stop(),
      () => mic.stop(),
    )
    await waitFor(() => cam.sizes.length >= 2, MEDIA_MS, 'placeholder frames in Node')
    expect(new Set(cam.sizes)).toEqual(new Set(['2x2']))
    expect(mic.peak).toBeLessThan(500)

    // The page's fake camera (640×480) and microphone (beeps) on the same link.
    const size = await page.evaluate(() => window.kibRoam.camera())
    expect(size).toEqual({ width: 640, height: 480 })
    await waitFor(() => cam.sizes.some((s) => s !== '2x2'), MEDIA_MS, 'camera frames in Node')
    cam.reset()
    await waitFor(() => cam.sizes.length >= 10, MEDIA_MS, '10 camera frames in Node')
    // WebRTC's CPU adaptation may scale a 640×480 camera down, never off its 4:3 shape.
    for (const s of cam.sizes) {
      const [w, h] = s.split('x').map(Number) as [number, number]
      expect(w * 3, s).toBe(h * 4)
      expect(w, s).toBeGreaterThanOrEqual(160)
    }
    console.log(
      `[roam.browser] camera frames decoded in Node: ${[...new Set(cam.sizes)].join(', ')}`,
    )
    await waitFor(() => mic.peak > 5_000, MEDIA_MS, 'the fake microphone plays in Node')
    // The share lane stays on the placeholder.
    share.reset()
    await waitFor(() => share.sizes.length >= 2, MEDIA_MS, 'share placeholder frames')
    expect(new Set(share.sizes)).toEqual(new Set(['2x2']))

    // And back: a 320×240 roam source plays in the page's <video>.
    const source = videoSource(320, 240)
    stops.push(() => source.stop())
    node.setTrack('video', source.track)
    const seen = await until<Awaited<ReturnType<KibRoamPage['inbound']>>>(
      () => page.evaluate((id) => window.kibRoam.inbound(id), client.id),
      (f) => f.lanes.video?.width === 320 && f.video.width === 320 && f.video.frames >= 3,
      'the roam source in the page',
    )
    expect(seen.video).toMatchObject({ width: 320, height: 240 })

    // One offer and one answer on the link, nothing after: every swap was a replaceTrack.
    expect(sdp.map((m) => m.description.type).sort()).toEqual(['answer', 'offer'])
    expect(node.stats(pageId)?.renegotiations).toBe(0)
    expect(await page.evaluate((id) => window.kibRoam.sdp(id), client.id)).toEqual({
      sent: 1,
      received: 1,
      renegotiations: 0,
    })
    expect(errors).toEqual([])
    expect(dropped).toEqual([])
    expect(await page.evaluate(() => window.kibRoam.errors())).toEqual([])
    await page.evaluate(() => window.kibRoam.stop())
  })
})
