import { createHash, randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { deriveRoomKeys } from '@kibitz/protocol'
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
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMesh, type Mesh } from './mesh.js'
import { loopbackOnly, nodeWrtc, nodeWrtcCleanup } from './node-wrtc.js'
import type { MeshValue } from './payload.js'
import { sealedBrokerSignaling } from './testing/sealed-broker-signaling.js'
import type { ReceivedMessage } from './testing/browser-mesh-page.js'
import { waitFor } from './testing/wait.js'

/**
 * The mesh in real Chromium: pages (one browser context each) run `createMesh` on the browser's
 * own RTCPeerConnection, signaled through the REAL broker process (each page has its own socket,
 * every signal sealed with the room key), ICE on 127.0.0.1 only. The roster comes from the test:
 * the mesh must not import presence (ARCHITECTURE.md), so presence + mesh in browsers belongs to
 * @kibitz/call's tests. Page side: ./testing/browser-mesh-page.ts.
 */

const chromiumPath = requireChromium('the mesh browser tests')
const ROOM = 'mesh-browser-test-room'
const PAGE_ENTRY = fileURLToPath(new URL('./testing/browser-mesh-page.ts', import.meta.url))
/** A link between two Chromium pages opens in well under a second; this bounds a stall. */
const LINK_MS = 10_000

interface Member {
  name: string
  id: string
  page: Page
}

let broker: BrokerProcess
let server: StaticServer
let chromium: ChromiumHandle
/** Holds the room's authority slot on the broker, so it hears `member-left` like presence does. */
let keeper: BrokerTestClient

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
  // P16: the page bundle must not drag in Node built-ins.
  expect(js).not.toMatch(/require\(["']node:/)
  server = await serveStatic({
    '/index.html':
      '<!doctype html><script src="/socket.io.min.js"></script><script src="/page.js"></script>',
    '/socket.io.min.js': socketIoClientScript(),
    '/page.js': js,
  })
  chromium = await launchChromium()
  const derived = await deriveRoomKeys(ROOM)
  if (!derived.ok) throw derived.error
  keeper = await connectClient(broker.url)
  const joined = await keeper.join(derived.value.tag)
  if (!joined.ok) throw joined.error
  const claimed = await keeper.claim(derived.value.tag)
  if (!claimed.ok || !claimed.value.granted)
    throw new Error('the keeper must hold the authority slot')
})

afterAll(async () => {
  keeper?.close()
  await chromium?.stop()
  await server?.close()
  await broker?.kill()
})

/** Load the page in a fresh context and join the room; resolves once the broker gave it an id. */
async function join(name: string, page?: Page): Promise<Member> {
  const p = page ?? (await chromium.newPage(undefined, { name }))
  if (!page) await p.goto(server.url)
  await p.waitForFunction(() => typeof window.kib === 'object')
  const id = await p.evaluate(([url, room]) => window.kib.join(url!, room!), [broker.url, ROOM])
  return { name, id, page: p }
}

/** Hand every page the roster (presence's job in production). */
async function setRoster(members: readonly Member[], extra: readonly string[] = []): Promise<void> {
  const ids = [...members.map((m) => m.id), ...extra]
  await Promise.all(members.map((m) => m.page.evaluate((all) => window.kib.setPeers(all), ids)))
}

/** Wait (in the page, event-free polling of its own state) until `predicate(arg)` holds. */
async function until<A>(
  m: Member,
  predicate: (arg: A) => boolean,
  arg: A,
  what: string,
  timeout = LINK_MS,
): Promise<void> {
  try {
    // Playwright's argument typing (Unboxed<A>) does not fit a generic A: plain JSON here.
    const fn = predicate as (arg: unknown) => boolean
    await m.page.waitForFunction(fn, arg as unknown, { timeout, polling: 20 })
  } catch (error) {
    const state = await m.page
      .evaluate(() => ({
        connected: window.kib.connected(),
        events: window.kib.events(),
        signals: window.kib.signals(),
      }))
      .catch(() => null)
    throw new Error(`${m.name}: ${what} (state: ${JSON.stringify(state)})`, { cause: error })
  }
}

const linked = (m: Member, peers: readonly string[]) =>
  until(
    m,
    (want) => want.every((id) => window.kib.connected().includes(id)),
    peers,
    `links to ${peers.join(', ')}`,
  )

/** The ids of everyone in `members` but `m`. */
const othersOf = (m: Member, members: readonly Member[]): string[] =>
  members.filter((o) => o !== m).map((o) => o.id)

const inbox = (m: Member): Promise<ReceivedMessage[]> =>
  m.page.evaluate(() => window.kib.received())

const jsonFrom = (msgs: ReceivedMessage[], key: string) =>
  msgs.flatMap((g) =>
    'json' in g && typeof g.json === 'object' && g.json !== null && key in g.json
      ? [{ from: g.from, json: g.json }]
      : [],
  )

/**
 * Ordered channels: once `m` has `{ fence: tag }` from every sender, everything those senders
 * sent it before has arrived too — so absence can be asserted without sleeping.
 */
async function fence(members: readonly Member[], tag: string): Promise<void> {
  await Promise.all(
    members.map((m) => m.page.evaluate((t) => window.kib.broadcast({ fence: t }), tag)),
  )
  await Promise.all(
    members.map((m) =>
      until(
        m,
        ([t, n]) =>
          window.kib
            .received()
            .filter((g) => 'json' in g && (g.json as { fence?: string } | null)?.fence === t)
            .length === n,
        [tag, members.length - 1] as const,
        `fence ${tag}`,
      ),
    ),
  )
}

describe.skipIf(!chromiumPath)('mesh in real Chromium over the real broker', () => {
  const pages: Member[] = []

  it('3 pages: full mesh; broadcast once each, never echoed; sendTo only its target; 5 MB intact (M1, M4, M26, M27)', async () => {
    const started = Date.now()
    pages.push(...(await Promise.all(['A', 'B', 'C'].map((n) => join(n)))))
    const [a, b, c] = pages as [Member, Member, Member]
    expect(new Set(pages.map((m) => m.id)).size).toBe(3)
    await setRoster(pages)
    await Promise.all(pages.map((m) => linked(m, othersOf(m, pages))))
    console.log(`[mesh.browser] 3 pages joined and fully linked in ${Date.now() - started} ms`)

    // Every offer/answer and candidate crossed the broker, sealed, and opened on the other side.
    for (const m of pages) {
      const s = await m.page.evaluate(() => window.kib.signals())
      expect(s.dropped, m.name).toEqual([])
      expect((s.sent.sdp ?? 0) + (s.received.sdp ?? 0), m.name).toBeGreaterThanOrEqual(2)
      expect((s.sent.ice ?? 0) + (s.received.ice ?? 0), m.name).toBeGreaterThanOrEqual(2)
    }

    for (const m of pages)
      expect(await m.page.evaluate((id) => window.kib.broadcast({ hello: id }), m.id)).toBe(2)
    const ring: [Member, Member][] = [
      [a, b],
      [b, c],
      [c, a],
    ]
    for (const [from, to] of ring)
      await from.page.evaluate(
        ([id, text]) => window.kib.sendTo(id!, { secret: text! }),
        [to.id, `${from.name}→${to.name}`],
      )
    await fence(pages, 'one')
    for (const m of pages) {
      const got = await inbox(m)
      expect(
        got.filter((g) => g.from === m.id),
        `${m.name} echo`,
      ).toEqual([])
      const hellos = jsonFrom(got, 'hello')
      expect(hellos.map((h) => h.from).sort(), m.name).toEqual(othersOf(m, pages).sort())
      for (const h of hellos) expect(h.json).toEqual({ hello: h.from })
      const sender = ring.find(([, to]) => to === m)![0]
      expect(jsonFrom(got, 'secret'), m.name).toEqual([
        { from: sender.id, json: { secret: `${sender.name}→${m.name}` } },
      ])
    }

    const t0 = Date.now()
    const sha = await a.page.evaluate((id) => window.kib.sendRandom(id, 5_000_000), c.id)
    await until(
      c,
      (from) =>
        window.kib.received().some((g) => g.from === from && 'binary' in g && g.binary.sha256),
      a.id,
      '5 MB from A',
    )
    console.log(`[mesh.browser] 5 MB page → page in ${Date.now() - t0} ms`)
    const binaries = (await inbox(c)).filter((g) => 'binary' in g)
    expect(binaries).toEqual([{ from: a.id, binary: { bytes: 5_000_000, sha256: sha } }])
    await fence(pages, 'two')
    expect((await inbox(b)).some((g) => 'binary' in g)).toBe(false)
  })

  it('a reloaded page rejoins and is back in both others’ meshes with data flowing (M14)', async () => {
    const [a, b, c] = pages as [Member, Member, Member]
    const oldC = c.id
    await c.page.reload()
    const back = await join('C', c.page)
    pages[2] = back
    expect(back.id).not.toBe(oldC)
    // The old document said no bye (no leave code ran): the broker saw its socket go, and the
    // roster swaps the old id for the new one.
    await keeper.waitFor(
      () => keeper.received.memberLeft.some((e) => e.id === oldC),
      5_000,
      'member-left of the reloaded tab',
    )
    await setRoster(pages)
    await Promise.all(pages.map((m) => linked(m, othersOf(m, pages))))
    for (const m of [a, b]) {
      // Closed by the dying links themselves ('failed') or by the roster ('left'); never a bye.
      const closes = (await m.page.evaluate(() => window.kib.events().close)).filter(
        (e) => e.peer === oldC,
      )
      expect(closes.length, m.name).toBe(1)
      expect(['failed', 'left'], m.name).toContain(closes[0]!.reason)
      expect(await m.page.evaluate(() => window.kib.connected()), m.name).not.toContain(oldC)
    }
    expect(await back.page.evaluate(() => window.kib.broadcast({ back: 'C' }))).toBe(2)
    await a.page.evaluate((id) => window.kib.sendTo(id, { welcome: 'A' }), back.id)
    await fence(pages, 'three')
    for (const m of [a, b])
      expect(jsonFrom(await inbox(m), 'back')).toEqual([{ from: back.id, json: { back: 'C' } }])
    expect(jsonFrom(await inbox(back), 'welcome')).toEqual([{ from: a.id, json: { welcome: 'A' } }])
  })

  it('a killed tab leaves the broker, the roster drops it, the survivors close its links and keep talking (M14)', async () => {
    const [a, b, c] = pages as [Member, Member, Member]
    const t0 = Date.now()
    await c.page.close()
    // No bye and no leave: the tab is just gone. The broker sees its socket drop and tells the
    // authority (presence's authority drops the member from the roster on exactly this event);
    // WebRTC alone notices only when ICE fails, ~16 s later.
    await keeper.waitFor(
      () => keeper.received.memberLeft.some((e) => e.id === c.id),
      5_000,
      'member-left',
    )
    pages.pop()
    await setRoster(pages)
    for (const m of [a, b])
      await until(
        m,
        (id) =>
          window.kib.events().close.some((e) => e.peer === id) &&
          !window.kib.connected().includes(id),
        c.id,
        'close of the killed tab',
      )
    console.log(`[mesh.browser] killed tab dropped by both survivors in ${Date.now() - t0} ms`)
    for (const m of pages) {
      expect(await m.page.evaluate(() => window.kib.connected())).toEqual(othersOf(m, pages))
      // 'left' from the roster, or 'failed' had the dying links won the race; once, never a bye.
      const closes = (await m.page.evaluate(() => window.kib.events().close)).filter(
        (e) => e.peer === c.id,
      )
      expect(closes.length, m.name).toBe(1)
      expect(['failed', 'left'], m.name).toContain(closes[0]!.reason)
    }
    await fence(pages, 'four')
  })

  it('a Node peer (node-datachannel) in the same room exchanges data with pages both ways', async () => {
    const [a] = pages as [Member, Member]
    const derived = await deriveRoomKeys(ROOM)
    if (!derived.ok) throw derived.error
    const keys = derived.value
    let client: BrokerTestClient | null = null
    let mesh: Mesh | null = null
    let signaling: { close(): void } | null = null
    try {
      client = await connectClient(broker.url)
      const joined = await client.join(keys.tag)
      if (!joined.ok) throw joined.error
      const dropped: string[] = []
      const sig = sealedBrokerSignaling(client, keys, (r) => dropped.push(r))
      signaling = sig
      const node = createMesh({
        self: client.id,
        signaling: sig,
        wrtc: nodeWrtc({ bindAddress: '127.0.0.1' }),
        iceServers: [],
        candidateFilter: loopbackOnly,
      })
      mesh = node
      const got: { data: MeshValue; from: string }[] = []
      node.onMessage((data, from) => got.push({ data, from }))
      node.setPeers(pages.map((m) => m.id))
      await setRoster(pages, [client.id])
      await Promise.all(pages.map((m) => linked(m, [client!.id])))
      await waitFor(() => node.connectedPeers().length === pages.length, LINK_MS, 'node links')

      expect(node.broadcast({ from: 'node' })).toBe(pages.length)
      for (const m of pages)
        await until(
          m,
          (id) => window.kib.received().some((g) => g.from === id && 'json' in g),
          client.id,
          'node broadcast',
        )
      const payload = randomBytes(1_000_000)
      node.sendTo(a.id, payload)
      const want = createHash('sha256').update(payload).digest('hex')
      const sha = await a.page.evaluate((id) => window.kib.sendRandom(id, 1_000_000), client.id)
      await a.page.evaluate((id) => window.kib.sendTo(id, { to: 'node' }), client.id)
      await waitFor(() => got.length === 2, LINK_MS, 'page → node')
      const bytes = got.find((g) => g.data instanceof Uint8Array)!.data as Uint8Array
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha)
      expect(got.map((g) => g.from)).toEqual([a.id, a.id])
      expect(got[1]!.data).toEqual({ to: 'node' })
      await until(
        a,
        ([id, hex]) =>
          window.kib
            .received()
            .some((g) => g.from === id && 'binary' in g && g.binary.sha256 === hex),
        [client.id, want] as const,
        '1 MB from node',
      )
      expect(dropped).toEqual([])
    } finally {
      await mesh?.close()
      signaling?.close()
      client?.close()
      nodeWrtcCleanup()
    }
  })
})
