import { createHash, randomBytes } from 'node:crypto'
import {
  ErrorCode,
  isKibitzError,
  realClock,
  type Clock,
  type KibitzError,
  type SdpMessage,
} from '@kibitz/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import { candidateAddress } from './candidates.js'
import { FrameType } from './framing.js'
import { createMesh, type Mesh } from './mesh.js'
import { loopbackOnly, nodeWrtc, nodeWrtcCleanup } from './node-wrtc.js'
import type { MeshValue } from './payload.js'
import type { PeerLink } from './peer-link.js'
import { rtcPeerLinkFactory } from './rtc-peer-link.js'
import { createSignalHub, type SignalHub } from './testing/hub.js'
import { isLibdatachannelHandshakeRace } from './testing/link-pair.js'
import { waitFor } from './testing/wait.js'

// Real WebRTC (node-datachannel) on 127.0.0.1, signaling through an in-memory hub.
const wrtc = nodeWrtc({ bindAddress: '127.0.0.1' })
const CONNECT_MS = 10_000
const everyMesh: Mesh[] = []

afterAll(async () => {
  await Promise.all(everyMesh.map((m) => m.close()))
  nodeWrtcCleanup()
})

interface Node {
  mesh: Mesh
  got: { data: MeshValue; from: string }[]
  errors: { peer: string | null; error: KibitzError }[]
  links: PeerLink[]
}

function spawn(hub: SignalHub, id: string, opts: { prewarm?: boolean; clock?: Clock } = {}): Node {
  const links: PeerLink[] = []
  const factory = rtcPeerLinkFactory({ wrtc, candidateFilter: loopbackOnly })
  const mesh = createMesh({
    self: id,
    signaling: hub.endpoint(id),
    iceServers: [],
    byeFlushMs: 100,
    ...opts,
    createLink: (o) => {
      const link = factory(o)
      links.push(link)
      return link
    },
  })
  everyMesh.push(mesh)
  const node: Node = { mesh, got: [], errors: [], links }
  mesh.onMessage((data, from) => node.got.push({ data, from }))
  mesh.on('error', (e) => node.errors.push(e))
  return node
}

async function fullMesh(hub: SignalHub, ids: string[]): Promise<Node[]> {
  const nodes = ids.map((id) => spawn(hub, id))
  for (const n of nodes) n.mesh.setPeers(ids)
  await waitFor(
    () => nodes.every((n) => n.mesh.connectedPeers().length === ids.length - 1),
    CONNECT_MS,
    'full mesh',
  )
  return nodes
}

const openLink = (node: Node): PeerLink => node.links.find((l) => l.connected)!

/**
 * libdatachannel's cold-handshake race (decisions.md): under CPU contention a fresh link's
 * handshake sometimes fails and the offerer reports it; the mesh rebuilds the link (M14). Tests
 * that demand no errors set those aside, and count the rebuilds they cause.
 */
const real = (n: Node) => n.errors.filter((e) => !isLibdatachannelHandshakeRace(e.error))
const raced = (n: Node) => n.errors.length - real(n).length

describe('two peers', () => {
  it('connect; broadcast and sendTo carry JSON and binary both ways (M4, M5, M21, M26, M27)', async () => {
    const hub = createSignalHub()
    const [a, b] = await fullMesh(hub, ['alice', 'bob'])
    expect(a!.mesh.stats('bob')!.initiator).toBe(true)
    expect(b!.mesh.stats('alice')!.initiator).toBe(false)
    // Connection stats (M32): host↔host (or prflx) on loopback is direct; RTT in ms.
    for (const [n, peer] of [
      [a!, 'bob'],
      [b!, 'alice'],
    ] as const) {
      const conn = (await n.mesh.sampleStats(peer))!.connection!
      expect(conn.path).toBe('direct')
      expect(conn.localCandidateType).toMatch(/^(host|prflx)$/)
      expect(conn.loss).toBeNull() // data only: nothing to lose
      if (conn.rttMs !== null) expect(conn.rttMs).toBeGreaterThanOrEqual(0)
      expect(conn.rttMs === null || conn.rttMs < 1_000).toBe(true)
    }
    // Candidates stay on loopback, trickled and inside SDP (M12).
    expect(hub.counts.get('ice') ?? 0).toBeGreaterThan(0)
    for (const { message } of hub.log) {
      if (message.t === 'ice' && message.candidate) {
        expect(candidateAddress(message.candidate.candidate)).toBe('127.0.0.1')
      }
      if (message.t === 'sdp') {
        for (const line of message.description.sdp.split(/\r?\n/)) {
          if (line.startsWith('a=candidate:')) expect(candidateAddress(line)).toBe('127.0.0.1')
        }
      }
    }

    expect(a!.mesh.broadcast({ hello: 'bob', n: [1, 2, 3] })).toBe(1)
    b!.mesh.sendTo('alice', new Uint8Array([1, 2, 3, 255]))
    b!.mesh.broadcast('plain string')
    a!.mesh.sendTo('bob', new Uint8Array([9]).buffer)
    await waitFor(() => a!.got.length === 2 && b!.got.length === 2, 5_000, 'messages')

    expect(b!.got[0]).toEqual({ data: { hello: 'bob', n: [1, 2, 3] }, from: 'alice' })
    expect(b!.got[1]!.from).toBe('alice')
    expect(Array.from(b!.got[1]!.data as Uint8Array)).toEqual([9])
    expect(a!.got[0]!.from).toBe('bob')
    expect(a!.got[0]!.data).toBeInstanceOf(Uint8Array)
    expect(Array.from(a!.got[0]!.data as Uint8Array)).toEqual([1, 2, 3, 255])
    expect(a!.got[1]).toEqual({ data: 'plain string', from: 'bob' })

    // Chunked JSON just under the JSON limit, and a never-echoed broadcast (M22, M26).
    const big = { text: 'x'.repeat(200_000) }
    a!.mesh.broadcast(big)
    await waitFor(() => b!.got.length === 3, 5_000, 'chunked JSON')
    expect(b!.got[2]!.data).toEqual(big)
    expect(a!.got).toHaveLength(2)

    // Typed errors on the sender side (M27, M21).
    const noPeer = (() => {
      try {
        a!.mesh.sendTo('mallory', 1)
      } catch (e) {
        return e
      }
    })()
    expect(isKibitzError(noPeer) && noPeer.code).toBe(ErrorCode.NO_SUCH_PEER)
    expect(() => a!.mesh.sendTo('alice', 1)).toThrow(
      expect.objectContaining({ code: 'NO_SUCH_PEER' }),
    )
    expect(() => a!.mesh.broadcast({ f: () => 1 } as never)).toThrow(
      expect.objectContaining({ code: 'BAD_MESSAGE' }),
    )
    expect(() => a!.mesh.broadcast('y'.repeat(300_000))).toThrow(
      expect.objectContaining({ code: 'TOO_LARGE' }),
    )
    // No error but libdatachannel's own cold-handshake race, which the mesh rebuilds through.
    expect(real(a!)).toEqual([])
    expect(real(b!)).toEqual([])
  })
  it("samples a new link's connection stats a second after it opened, not at once (M32)", async () => {
    const hub = createSignalHub()
    const [a, b] = await fullMesh(hub, ['alice', 'bob'])
    const opened = Date.now()
    // getStats at open would compete with the link's first media (bench mesh, first frame).
    expect(a!.mesh.stats('bob')!.connection).toBeNull()
    await waitFor(() => a!.mesh.stats('bob')!.connection !== null, 5_000, 'first sample')
    expect(Date.now() - opened).toBeGreaterThanOrEqual(800)
    expect(a!.mesh.stats('bob')!.connection!.path).toBe('direct')
    await Promise.all([a!.mesh.close(), b!.mesh.close()])
  })
})

describe('a spare link (M41)', () => {
  it('alone, a prewarmed mesh builds its offer ahead; the first peer it dials gets it at once and the link carries data', async () => {
    const hub = createSignalHub()
    const a = spawn(hub, 'spare-a', { prewarm: true })
    a.mesh.setPeers([])
    // The spare's offer and candidates are made, recorded, and nothing is sent to anyone.
    expect(a.links).toHaveLength(1)
    await new Promise((r) => setTimeout(r, 200))
    expect(hub.log).toHaveLength(0)
    const b = spawn(hub, 'spare-b')
    a.mesh.setPeers(['spare-a', 'spare-b']) // a < b: a dials, with the spare
    expect(a.links).toHaveLength(1)
    // The offer left during setPeers, before b even knows of a.
    await waitFor(() => hub.log.some((m) => m.message.t === 'sdp'), 2_000, 'the offer')
    b.mesh.setPeers(['spare-a', 'spare-b'])
    await waitFor(() => a.mesh.connectedPeers().length === 1, CONNECT_MS, 'a → b open')
    await waitFor(() => b.mesh.connectedPeers().length === 1, CONNECT_MS, 'b → a open')
    a.mesh.sendTo('spare-b', { hello: 'from the spare' })
    await waitFor(() => b.got.length === 1, 5_000, 'data over the spare link')
    expect(b.got[0]).toEqual({ data: { hello: 'from the spare' }, from: 'spare-a' })
    expect(a.mesh.stats('spare-b')?.generation).toBeGreaterThan(0)
    expect([...real(a), ...real(b)]).toEqual([])
  })
})

describe('a courtesy offer (M44)', () => {
  const sdps = (hub: SignalHub, from: string) =>
    hub.log
      .filter((m) => m.from === from && m.message.t === 'sdp')
      .map((m) => (m.message as SdpMessage).description.type)

  it('the answerer offers its ready spare; the initiator, its own offer not sent yet, answers it', async () => {
    const hub = createSignalHub()
    const z = spawn(hub, 'cty-z', { prewarm: true })
    z.mesh.setPeers([])
    await new Promise((r) => setTimeout(r, 200)) // the spare's offer is made
    // y's wall clock is an hour behind z's: its own generations start below the courtesy offer's.
    const y = spawn(hub, 'cty-y', { clock: { ...realClock, now: () => Date.now() - 3_600_000 } })
    // y < z: y initiates (M5). z learns of y first and offers its spare at once; y, learning of z
    // only then, has not sent its own offer when it reads z's.
    z.mesh.setPeers(['cty-y', 'cty-z'])
    await waitFor(() => sdps(hub, 'cty-z').length === 1, 2_000, 'the courtesy offer')
    y.mesh.setPeers(['cty-y', 'cty-z'])
    await waitFor(() => z.mesh.connectedPeers().length === 1, CONNECT_MS, 'z → y open')
    await waitFor(() => y.mesh.connectedPeers().length === 1, CONNECT_MS, 'y open')
    expect(z.links[0]!.connected).toBe(true) // the spare carries the link
    expect(sdps(hub, 'cty-z')).toEqual(['offer', ...Array<string>(raced(y)).fill('offer')])
    expect(sdps(hub, 'cty-y')).toEqual(['answer'])
    expect(y.mesh.stats('cty-z')!.initiator).toBe(true)
    y.mesh.sendTo('cty-z', 'over the courtesy link')
    await waitFor(() => z.got.length === 1, 5_000, 'message')

    // The initiator's next generation outranks the courtesy offer's: z reports the link dead,
    // y dials again, z answers it.
    const gen = y.mesh.stats('cty-z')!.generation
    expect(z.mesh.stats('cty-y')!.generation).toBe(gen)
    hub.inject('cty-z', 'cty-y', { t: 'dead', link: gen })
    await waitFor(
      () =>
        y.mesh.stats('cty-z')!.generation > gen &&
        z.mesh.stats('cty-y')!.generation === y.mesh.stats('cty-z')!.generation &&
        y.mesh.connectedPeers().length === 1 &&
        z.mesh.connectedPeers().length === 1,
      CONNECT_MS,
      'redialled by the initiator',
    )
    expect(sdps(hub, 'cty-y').filter((t) => t === 'offer').length).toBeGreaterThanOrEqual(1)
    expect([...real(y), ...real(z)]).toEqual([])
    await z.mesh.close()
    await y.mesh.close()
  })

  it('offers that cross: the initiator drops the courtesy offer, the answerer yields to its own', async () => {
    const hub = createSignalHub()
    const y = spawn(hub, 'crs-y', { prewarm: true })
    const z = spawn(hub, 'crs-z', { prewarm: true })
    y.mesh.setPeers([])
    z.mesh.setPeers([])
    await new Promise((r) => setTimeout(r, 500)) // both spares' offers are made
    // Both leave in the same turn and cross in the hub.
    y.mesh.setPeers(['crs-y', 'crs-z'])
    z.mesh.setPeers(['crs-y', 'crs-z'])
    await waitFor(
      () => y.mesh.connectedPeers().length === 1 && z.mesh.connectedPeers().length === 1,
      CONNECT_MS,
      'open',
    )
    expect(sdps(hub, 'crs-z').slice(0, 2)).toEqual(['offer', 'answer'])
    expect(sdps(hub, 'crs-y')[0]).toBe('offer')
    // z's courtesy link was given up for y's offer: y's link is y's own spare.
    expect(y.links[0]!.connected).toBe(true)
    expect(z.links[0]!.connected).toBe(false)
    expect(y.mesh.stats('crs-z')!.generation).toBe(z.mesh.stats('crs-y')!.generation)
    z.mesh.sendTo('crs-y', 'over the initiator link')
    await waitFor(() => y.got.length === 1, 5_000, 'message')
    expect([...real(y), ...real(z)]).toEqual([])
    await z.mesh.close()
    await y.mesh.close()
  })
})

describe('six peers', () => {
  it('everyone reaches everyone; sendTo reaches only its target (M4, M26, M27)', async () => {
    const hub = createSignalHub()
    const ids = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6']
    const started = Date.now()
    const nodes = await fullMesh(hub, ids)
    console.log(`[mesh] 6-peer full mesh (15 links) up in ${Date.now() - started} ms`)

    nodes.forEach((n, i) => n.mesh.broadcast({ kind: 'hello', from: ids[i]! }))
    nodes.forEach((n, i) =>
      n.mesh.sendTo(ids[(i + 1) % 6]!, { kind: 'secret', to: ids[(i + 1) % 6]! }),
    )
    await waitFor(() => nodes.every((n) => n.got.length === 6), 5_000, 'all messages')
    await new Promise((r) => setTimeout(r, 100)) // nothing extra trickles in

    nodes.forEach((n, i) => {
      const hellos = n.got.filter((g) => (g.data as { kind: string }).kind === 'hello')
      expect(hellos.map((g) => g.from).sort()).toEqual(ids.filter((id) => id !== ids[i]))
      for (const h of hellos) expect((h.data as { from: string }).from).toBe(h.from)
      const secrets = n.got.filter((g) => (g.data as { kind: string }).kind === 'secret')
      expect(secrets).toEqual([{ data: { kind: 'secret', to: ids[i] }, from: ids[(i + 5) % 6] }])
      expect(real(n)).toEqual([])
    })
  })
})

describe('bulk', () => {
  it('a 50 MB transfer arrives intact under backpressure (M22, M24)', async () => {
    const hub = createSignalHub()
    const [a, b] = await fullMesh(hub, ['bulk-a', 'bulk-b'])
    const payload = randomBytes(50_000_000)
    const want = createHash('sha256').update(payload).digest('hex')
    let maxBuffered = 0
    const sampler = setInterval(() => {
      maxBuffered = Math.max(maxBuffered, a!.mesh.stats('bulk-b')!.bufferedAmount)
    }, 2)
    const started = performance.now()
    a!.mesh.sendTo('bulk-b', payload)
    await waitFor(() => b!.got.length === 1, 20_000, '50 MB')
    const seconds = (performance.now() - started) / 1000
    clearInterval(sampler)
    const got = b!.got[0]!.data as Uint8Array
    expect(got.byteLength).toBe(50_000_000)
    expect(createHash('sha256').update(got).digest('hex')).toBe(want)
    console.log(
      `[mesh] 50 MB in ${seconds.toFixed(2)} s = ${(50 / seconds).toFixed(1)} MB/s; ` +
        `max bufferedAmount ${(maxBuffered / 1024).toFixed(0)} KiB`,
    )
    // Backpressure held: never far above the 1 MiB high-water mark (one frame of slack).
    expect(maxBuffered).toBeLessThanOrEqual(1024 * 1024 + 64 * 1024)
    expect(real(b!)).toEqual([])
  }, 30_000)
})

describe('leaving', () => {
  it('a peer leaving the set is dropped; bye drops a peer at once (M6, M17, M18)', async () => {
    const hub = createSignalHub()
    const ids = ['l-a', 'l-b', 'l-c']
    const [a, b, c] = await fullMesh(hub, ids)
    const closes: string[] = []
    a!.mesh.on('close', (e) => closes.push(`${e.peer}:${e.reason}`))

    // The roster drops l-c: a and b close its links; l-c leaves too.
    a!.mesh.setPeers(['l-a', 'l-b'])
    b!.mesh.setPeers(['l-a', 'l-b'])
    c!.mesh.setPeers([])
    expect(closes).toEqual(['l-c:left'])
    expect(a!.mesh.stats('l-c')).toBeNull()
    expect(() => a!.mesh.sendTo('l-c', 1)).toThrow(
      expect.objectContaining({ code: 'NO_SUCH_PEER' }),
    )
    await waitFor(() => c!.mesh.connectedPeers().length === 0, 5_000, 'c drops its links')
    expect(a!.mesh.connectedPeers()).toEqual(['l-b'])

    // l-b closes gracefully while still on a's roster: a drops it at once and does not re-dial.
    const t0 = Date.now()
    await b!.mesh.close()
    await waitFor(() => closes.includes('l-b:bye'), 2_000, 'bye')
    console.log(`[mesh] bye dropped the peer ${Date.now() - t0} ms after close() began`)
    expect(a!.mesh.connectedPeers()).toEqual([])
    await new Promise((r) => setTimeout(r, 300))
    expect(a!.mesh.stats('l-b')!.state).toBe('idle')
    expect(() => a!.mesh.sendTo('l-b', 1)).toThrow(
      expect.objectContaining({ code: 'NO_SUCH_PEER' }),
    )
  })
})

describe('generations', () => {
  it('stale signals are dropped; dead makes the initiator rebuild with a newer generation (M7, M8, M14)', async () => {
    const hub = createSignalHub()
    const [a, b] = await fullMesh(hub, ['g-a', 'g-b'])
    const gen = a!.mesh.stats('g-b')!.generation
    expect(b!.mesh.stats('g-a')!.generation).toBe(gen)
    const offer = { type: 'offer' as const, sdp: 'v=0\r\n' }
    // An offer and ICE of an older generation, and a dial for the running one: all ignored.
    hub.inject('g-a', 'g-b', { t: 'sdp', description: offer, link: gen - 1 })
    hub.inject('g-a', 'g-b', { t: 'ice', candidate: { candidate: 'candidate:x' }, link: gen - 1 })
    hub.inject('g-b', 'g-a', { t: 'dial', link: gen })
    hub.inject('g-b', 'g-a', { t: 'dead', link: gen - 1 })
    // An offer from the answerer is a protocol violation (M5).
    hub.inject('g-b', 'g-a', { t: 'sdp', description: offer, link: gen })
    await new Promise((r) => setTimeout(r, 200))
    expect(a!.mesh.stats('g-b')!.generation).toBe(gen)
    expect(a!.mesh.connectedPeers()).toEqual(['g-b'])
    expect(b!.mesh.connectedPeers()).toEqual(['g-a'])
    expect(real(a!).map((e) => e.error.code)).toEqual([ErrorCode.BAD_MESSAGE])
    expect(real(b!)).toEqual([])

    // The answerer reports the link dead: the initiator rebuilds; data flows on the new link.
    hub.inject('g-b', 'g-a', { t: 'dead', link: gen })
    await waitFor(
      () =>
        a!.mesh.stats('g-b')!.generation > gen &&
        a!.mesh.stats('g-b')!.state === 'open' &&
        b!.mesh.stats('g-a')!.state === 'open' &&
        b!.mesh.stats('g-a')!.generation === a!.mesh.stats('g-b')!.generation,
      CONNECT_MS,
      'rebuilt link',
    )
    a!.mesh.sendTo('g-b', 'after rebuild')
    await waitFor(() => b!.got.length === 1, 5_000, 'message on the new link')
    expect(b!.got[0]).toEqual({ data: 'after rebuild', from: 'g-a' })
  })
})

describe('hostile frames', () => {
  it('malformed or oversized frames are dropped with typed errors, never a crash (M23)', async () => {
    const hub = createSignalHub()
    const [a, b] = await fullMesh(hub, ['h-a', 'h-b'])
    const raw = openLink(a!)
    const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]
    const bad: Uint8Array[] = [
      new Uint8Array([0x7f, 1, 2]), // unknown type
      new Uint8Array([FrameType.first, FrameType.bin, 0, 0]), // truncated header
      new Uint8Array([FrameType.first, 9, ...u32(1), ...u32(10), 1]), // unknown kind
      new Uint8Array([FrameType.next, ...u32(77), 1, 2, 3]), // chunk of unknown message
      new Uint8Array([FrameType.first, FrameType.bin, ...u32(2), ...u32(60 * 1024 * 1024)]), // > 50 MiB
      new Uint8Array([FrameType.first, FrameType.json, ...u32(3), ...u32(300 * 1024)]), // JSON > 256 KiB
      new Uint8Array([FrameType.first, FrameType.bin, ...u32(4), ...u32(2), 1, 2, 3]), // overrun
      new Uint8Array([FrameType.json, 0xff, 0xfe]), // not UTF-8
      new Uint8Array([FrameType.json, ...Buffer.from('{"a":')]), // not JSON
      new Uint8Array([FrameType.json, ...Buffer.from('['.repeat(40) + ']'.repeat(40))]), // too deep
      new Uint8Array([FrameType.json, ...Buffer.from('{"__proto__":{"x":1},"ok":1}')]), // stripped
    ]
    for (const frame of bad) raw.send(frame)
    ;(raw.send as (s: unknown) => void)('a text frame')
    // Five in-flight chunked messages: the fifth exceeds MAX_TRANSFERS_PER_PEER.
    for (let id = 10; id < 15; id++) {
      raw.send(new Uint8Array([FrameType.first, FrameType.bin, ...u32(id), ...u32(100), 1]))
    }
    a!.mesh.sendTo('h-b', { still: 'alive' })
    await waitFor(() => b!.got.length === 2, 5_000, 'valid message after garbage')

    expect(b!.got[0]!.data).toEqual({ ok: 1 })
    expect(Object.getPrototypeOf(b!.got[0]!.data)).toBe(Object.prototype)
    expect(b!.got[1]).toEqual({ data: { still: 'alive' }, from: 'h-a' })
    const codes = b!.errors.map((e) => e.error.code)
    expect(b!.errors.every((e) => e.peer === 'h-a' && isKibitzError(e.error))).toBe(true)
    expect(codes.filter((c) => c === ErrorCode.TOO_LARGE)).toHaveLength(4)
    expect(codes.filter((c) => c === ErrorCode.BAD_MESSAGE)).toHaveLength(8)
    expect(b!.mesh.connectedPeers()).toEqual(['h-a'])
  })
})
