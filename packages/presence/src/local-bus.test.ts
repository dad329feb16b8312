import { ErrorCode, MAX_BROKER_FRAME_BYTES, realClock } from '@kibitz/protocol'
import { afterEach, describe, expect, test } from 'vitest'
import { createLocalBus, type LocalBus, type LocalBusOptions } from './local-bus.js'
import { createManualClock, type ManualClock } from './testing/clock.js'
import { createSeededRandom } from './testing/random.js'
import { testTag } from './testing/tag.js'
import { describeTransportContract } from './transport.contract.js'
import type { RoomTransport, RoomTransportEvents } from './transport.js'

for (const seed of [1, 7, 2024]) {
  describeTransportContract(`local bus, manual clock, seed ${seed}`, () => {
    const clock = createManualClock()
    const bus = createLocalBus({ clock, random: createSeededRandom(seed) })
    return {
      connect: (tag) => bus.connect(tag),
      advance: (ms) => clock.advance(ms),
      blip: (id) => bus.disconnect(id),
      close: async () => bus.close(),
    }
  })
}

describeTransportContract('local bus, real clock', () => {
  const bus = createLocalBus({ clock: realClock, reconnectDelay: { min: 5, max: 20 } })
  return {
    connect: (tag) => bus.connect(tag),
    blip: (id) => bus.disconnect(id),
    close: async () => bus.close(),
  }
})

type Recorded = { [K in keyof RoomTransportEvents]: RoomTransportEvents[K][] }

interface Peer {
  t: RoomTransport
  ev: Recorded
  id: string
}

/** A bus on a manual clock plus helpers that move time for the test. */
function harness(opts: LocalBusOptions & { seed?: number } = {}) {
  const clock: ManualClock = createManualClock()
  const bus: LocalBus = createLocalBus({
    clock,
    random: createSeededRandom(opts.seed ?? 1),
    ...opts,
  })
  const tag = testTag('bus')
  const trace: string[] = []
  let peerCount = 0

  async function run<T>(p: Promise<T>): Promise<T> {
    let done = false
    const watched = p.finally(() => (done = true))
    for (let i = 0; !done; i++) {
      if (i > 10_000) throw new Error('a request never settled')
      await clock.advance(1)
    }
    return watched
  }

  async function join(roomTag = tag): Promise<Peer> {
    const t = bus.connect(roomTag)
    const n = peerCount++
    const ev: Recorded = { frame: [], memberLeft: [], vacated: [], reset: [], closed: [] }
    const log = (kind: string, e: unknown) =>
      trace.push(
        `${clock.now()} p${n} ${kind} ${JSON.stringify(e, (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : v))}`,
      )
    t.on('frame', (e) => (ev.frame.push(e), log('frame', e)))
    t.on('memberLeft', (e) => (ev.memberLeft.push(e), log('memberLeft', e)))
    t.on('vacated', (e) => (ev.vacated.push(e), log('vacated', e)))
    t.on('reset', (e) => (ev.reset.push(e), log('reset', e)))
    t.on('closed', (e) => (ev.closed.push(e), log('closed', e)))
    const r = await run(t.join())
    if (!r.ok) throw r.error
    return { t, ev, id: r.value.self }
  }

  /** Let the network go quiet. */
  async function quiesce(maxMs = 10_000): Promise<void> {
    for (let spent = 0; bus.inFlight() > 0; spent += 5) {
      if (spent > maxMs) throw new Error('the bus never went quiet')
      await clock.advance(5)
    }
  }

  return { clock, bus, tag, trace, run, join, quiesce }
}

let open: LocalBus[] = []
afterEach(() => {
  for (const b of open) b.close()
  open = []
})
function rig(opts: LocalBusOptions & { seed?: number } = {}) {
  const h = harness(opts)
  open.push(h.bus)
  return h
}

const bytes = (...v: number[]) => new Uint8Array(v)
const firstBytes = (p: Peer) => p.ev.frame.map((f) => f.payload[0])

describe('local bus: determinism and timing', () => {
  async function scenario(seed: number): Promise<string[]> {
    const h = harness({ seed, latency: { min: 1, max: 20 }, fifo: false, dropRate: 0.1 })
    const ps: Peer[] = []
    for (let i = 0; i < 5; i++) ps.push(await h.join())
    await h.run(Promise.all(ps.map((p) => p.t.claim())))
    const pick = createSeededRandom(seed ^ 0x5eed)
    for (let i = 0; i < 60; i++) {
      const from = ps[Math.floor(pick() * ps.length)]!
      const to = ps[Math.floor(pick() * ps.length)]!
      from.t.send(to.id, bytes(i))
      if (i % 7 === 0) await h.clock.advance(3)
    }
    const holder = h.bus.authorityOf(h.tag)!
    h.bus.kill(holder)
    h.bus.disconnect(ps.find((p) => p.id !== holder)!.id)
    await h.clock.runFor(2_000, 25)
    h.trace.push(`stats ${JSON.stringify(h.bus.stats())}`)
    h.bus.close()
    return h.trace
  }

  test('the same seed gives the same deliveries at the same times; another seed does not', async () => {
    const a = await scenario(42)
    const b = await scenario(42)
    const c = await scenario(43)
    expect(a.length).toBeGreaterThan(40)
    expect(b).toEqual(a)
    expect(c).not.toEqual(a)
  })

  test('each hop takes a latency within bounds; a frame crosses two hops', async () => {
    const h = rig({ latency: { min: 10, max: 30 } })
    const [a, b] = [await h.join(), await h.join()]
    const arrivals: number[] = []
    b.t.on('frame', () => arrivals.push(h.clock.now()))
    for (let i = 0; i < 50; i++) {
      const sentAt = h.clock.now()
      a.t.send(b.id, bytes(i))
      await h.quiesce()
      const took = arrivals[i]! - sentAt
      expect(took).toBeGreaterThanOrEqual(20)
      expect(took).toBeLessThanOrEqual(60)
    }
  })

  test('fifo (default): frames of one connection arrive in order; fifo: false reorders them', async () => {
    const h = rig({ latency: { min: 1, max: 40 } })
    const [a, b] = [await h.join(), await h.join()]
    for (let i = 0; i < 100; i++) a.t.send(b.id, bytes(i))
    await h.quiesce()
    expect(firstBytes(b)).toEqual([...Array(100).keys()])

    const u = rig({ latency: { min: 1, max: 40 }, fifo: false })
    const [x, y] = [await u.join(), await u.join()]
    for (let i = 0; i < 100; i++) x.t.send(y.id, bytes(i))
    await u.quiesce()
    const got = firstBytes(y)
    expect([...got].sort((p, q) => p! - q!)).toEqual([...Array(100).keys()])
    expect(got).not.toEqual([...Array(100).keys()])
    // Requests and replies still keep their order on an unordered bus.
    const replies = await u.run(Promise.all([x.t.claim(), x.t.release(), x.t.claim()]))
    expect(replies.every((r) => r.ok)).toBe(true)
    expect(u.bus.authorityOf(u.tag)).toBe(x.id)
  })

  test('payloads are copied at send: mutating the buffer afterwards changes nothing', async () => {
    const h = rig()
    const [a, b] = [await h.join(), await h.join()]
    const buf = bytes(1, 2, 3)
    a.t.send(b.id, buf)
    buf[0] = 99
    await h.quiesce()
    expect([...b.ev.frame[0]!.payload]).toEqual([1, 2, 3])
  })
})

describe('local bus: broker rules', () => {
  test('B2: a malformed tag is BAD_MESSAGE; B3: a full tag is ROOM_FULL', async () => {
    const h = rig({ maxSocketsPerTag: 2 })
    const bad = h.bus.connect('short')
    const r = await h.run(bad.join())
    expect(!r.ok && r.error.code).toBe(ErrorCode.BAD_MESSAGE)
    await h.join()
    await h.join()
    const third = h.bus.connect(h.tag)
    const full = await h.run(third.join())
    expect(!full.ok && full.error.code).toBe(ErrorCode.ROOM_FULL)
  })

  test('B6 B12: refused frames (no such peer, empty, too large, not joined) are counted, not delivered', async () => {
    const h = rig()
    const [a, b] = [await h.join(), await h.join()]
    a.t.send('nobody', bytes(1))
    a.t.send(b.id, new Uint8Array(0))
    a.t.send(b.id, new Uint8Array(MAX_BROKER_FRAME_BYTES + 1))
    a.t.send(b.id, new Uint8Array(MAX_BROKER_FRAME_BYTES))
    await h.quiesce()
    expect(b.ev.frame).toHaveLength(1)
    expect(h.bus.stats()).toEqual({
      framesSent: 4,
      framesDelivered: 1,
      framesDropped: 0,
      framesRefused: 3,
    })
    // A transport that has not joined puts nothing on the wire.
    const lurker = h.bus.connect(h.tag)
    lurker.send(b.id, bytes(1))
    await h.quiesce()
    expect(h.bus.stats().framesSent).toBe(4)
  })

  test('authorityOf and members show the broker state', async () => {
    const h = rig()
    const [a, b] = [await h.join(), await h.join()]
    expect(h.bus.authorityOf(h.tag)).toBe(null)
    await h.run(b.t.claim())
    expect(h.bus.authorityOf(h.tag)).toBe(b.id)
    expect(h.bus.members(h.tag).sort()).toEqual([a.id, b.id].sort())
    await h.run(b.t.leave())
    await h.quiesce()
    expect(h.bus.authorityOf(h.tag)).toBe(null)
    expect(h.bus.members(h.tag)).toEqual([a.id])
    expect(a.ev.vacated).toEqual([{ authority: b.id }])
  })
})

describe('local bus: faults', () => {
  test('setDropRate loses frames only; replies and notices still arrive', async () => {
    const h = rig({ seed: 3 })
    const [a, b, c] = [await h.join(), await h.join(), await h.join()]
    h.bus.setDropRate(1)
    for (let i = 0; i < 20; i++) a.t.send(b.id, bytes(i))
    expect(await h.run(a.t.claim())).toEqual({
      ok: true,
      value: { granted: true, authority: a.id },
    })
    await h.run(c.t.leave())
    await h.quiesce()
    expect(b.ev.frame).toEqual([])
    expect(a.ev.memberLeft).toEqual([{ id: c.id }])
    expect(h.bus.stats()).toMatchObject({ framesSent: 20, framesDelivered: 0, framesDropped: 20 })

    h.bus.setDropRate(0.5)
    for (let i = 0; i < 400; i++) a.t.send(b.id, bytes(i % 256))
    await h.quiesce()
    const s = h.bus.stats()
    expect(s.framesDelivered).toBeGreaterThan(140)
    expect(s.framesDelivered).toBeLessThan(260)
    expect(s.framesSent).toBe(s.framesDelivered + s.framesDropped + s.framesRefused)
    expect(() => h.bus.setDropRate(2)).toThrow(RangeError)
  })

  test('partition drops frames between two sockets both ways until healed', async () => {
    const h = rig()
    const [a, b, c] = [await h.join(), await h.join(), await h.join()]
    h.bus.partition(a.id, b.id)
    a.t.send(b.id, bytes(1))
    b.t.send(a.id, bytes(2))
    a.t.send(c.id, bytes(3))
    c.t.send(b.id, bytes(4))
    await h.quiesce()
    expect(firstBytes(a)).toEqual([])
    expect(firstBytes(b)).toEqual([4])
    expect(firstBytes(c)).toEqual([3])
    h.bus.heal(b.id, a.id)
    a.t.send(b.id, bytes(5))
    await h.quiesce()
    expect(firstBytes(b)).toEqual([4, 5])
  })

  test('isolate drops every frame to and from one socket; heal(id) lifts it', async () => {
    const h = rig()
    const [a, b, c] = [await h.join(), await h.join(), await h.join()]
    h.bus.isolate(a.id)
    h.bus.partition(a.id, c.id)
    a.t.send(b.id, bytes(1))
    b.t.send(a.id, bytes(2))
    b.t.send(c.id, bytes(3))
    // Requests still work: isolation is about frames between peers.
    expect((await h.run(a.t.claim())).ok).toBe(true)
    await h.quiesce()
    expect(firstBytes(a)).toEqual([])
    expect(firstBytes(b)).toEqual([])
    expect(firstBytes(c)).toEqual([3])
    h.bus.heal(a.id)
    a.t.send(b.id, bytes(4))
    c.t.send(a.id, bytes(5))
    await h.quiesce()
    expect(firstBytes(b)).toEqual([4])
    expect(firstBytes(a)).toEqual([5])
    h.bus.isolate(b.id)
    h.bus.heal()
    c.t.send(b.id, bytes(6))
    await h.quiesce()
    expect(firstBytes(b)).toEqual([4, 6])
  })

  test('kill: the victim closes; the broker tells the authority (member) or the members (authority)', async () => {
    const h = rig()
    const [a, b, c] = [await h.join(), await h.join(), await h.join()]
    await h.run(a.t.claim())
    h.bus.kill(b.id)
    await h.quiesce()
    expect(b.ev.closed).toEqual([{ reason: 'killed' }])
    expect(b.t.self).toBe(null)
    expect(a.ev.memberLeft).toEqual([{ id: b.id }])
    expect(c.ev.memberLeft).toEqual([])
    expect((await h.run(b.t.claim())).ok).toBe(false)

    const pending = a.t.claim()
    h.bus.kill(a.id)
    const r = await h.run(pending)
    expect(!r.ok && r.error.code).toBe(ErrorCode.TIMEOUT)
    await h.quiesce()
    expect(a.ev.closed).toEqual([{ reason: 'killed' }])
    expect(c.ev.vacated).toEqual([{ authority: a.id }])
    expect(h.bus.authorityOf(h.tag)).toBe(null)
    expect(h.bus.members(h.tag)).toEqual([c.id])
    expect(a.ev.reset).toEqual([])
  })

  test('kill loses what was in flight to and from the victim', async () => {
    const h = rig({ latency: { min: 10, max: 10 } })
    const [a, b] = [await h.join(), await h.join()]
    a.t.send(b.id, bytes(1))
    b.t.send(a.id, bytes(2))
    await h.clock.advance(5)
    h.bus.kill(b.id)
    await h.quiesce()
    expect(firstBytes(a)).toEqual([])
    expect(firstBytes(b)).toEqual([])
    expect(h.bus.stats()).toMatchObject({ framesSent: 2, framesDelivered: 0, framesDropped: 2 })
  })

  test('disconnect: a blip, then reset with a new id after the reconnect delay', async () => {
    const h = rig({ reconnectDelay: { min: 100, max: 100 }, latency: { min: 2, max: 2 } })
    const [a, b] = [await h.join(), await h.join()]
    await h.run(b.t.claim())
    const start = h.clock.now()
    h.bus.disconnect(b.id)
    await h.quiesce()
    expect(b.ev.reset).toHaveLength(1)
    const { self } = b.ev.reset[0]!
    expect(self).not.toBe(b.id)
    expect(b.ev.closed).toEqual([])
    // Delay 100 + join request and reply (2 + 2).
    expect(h.clock.now() - start).toBeGreaterThanOrEqual(104)
    expect(a.ev.vacated).toEqual([{ authority: b.id }])
    expect(h.bus.members(h.tag).sort()).toEqual([a.id, self].sort())
    // During the gap the transport refuses requests fast instead of hanging.
    h.bus.disconnect(self)
    await h.clock.advance(10)
    const gap = await h.run(b.t.claim())
    expect(!gap.ok && gap.error.code).toBe(ErrorCode.TIMEOUT)
    await h.quiesce()
    expect(b.ev.reset).toHaveLength(2)
  })

  test('disconnect before join: reconnects silently, no reset', async () => {
    const h = rig()
    const t = h.bus.connect(h.tag)
    const resets: unknown[] = []
    t.on('reset', (e) => resets.push(e))
    // The socket id exists before the join.
    const id = h.bus.socketOf(t)!
    expect(id).toMatch(/^[A-Za-z0-9_-]{20}$/)
    const other = createLocalBus()
    open.push(other)
    expect(h.bus.socketOf(other.connect(h.tag))).toBe(null)
    h.bus.disconnect(id)
    await h.quiesce()
    expect(resets).toEqual([])
    const r = await h.run(t.join())
    expect(r.ok && r.value.self).not.toBe(id)
  })

  test('freeze: deliveries wait and arrive in order after the thaw; the broker keeps the socket', async () => {
    const h = rig({ latency: { min: 1, max: 5 } })
    const [a, b, c] = [await h.join(), await h.join(), await h.join()]
    await h.run(a.t.claim())
    h.bus.freeze(b.id, 1_000)
    const frozenAt = h.clock.now()
    for (let i = 0; i < 10; i++) a.t.send(b.id, bytes(i))
    b.t.send(c.id, bytes(100))
    const claim = b.t.claim()
    await h.clock.advance(900)
    expect(b.ev.frame).toEqual([])
    expect(c.ev.frame).toEqual([])
    expect(h.bus.members(h.tag)).toContain(b.id)
    expect(a.ev.memberLeft).toEqual([])
    await h.clock.advance(100)
    // At the thaw: the held frames at once, in order; what b sent leaves now.
    expect(firstBytes(b)).toEqual([...Array(10).keys()])
    await h.quiesce()
    expect(firstBytes(c)).toEqual([100])
    expect(h.clock.now() - frozenAt).toBeGreaterThanOrEqual(1_000)
    expect(await h.run(claim)).toEqual({ ok: true, value: { granted: false, authority: a.id } })
  })

  test('freeze longer than the request timeout: the request times out', async () => {
    const h = rig({ timeoutMs: 500 })
    const [a] = [await h.join(), await h.join()]
    h.bus.freeze(a.id, 2_000)
    const r = await h.run(a.t.claim())
    expect(!r.ok && r.error.code).toBe(ErrorCode.TIMEOUT)
    await h.quiesce()
    expect(a.ev.closed).toEqual([])
  })

  test('close() of the bus closes every transport and cancels deliveries', async () => {
    const h = rig()
    const [a, b] = [await h.join(), await h.join()]
    a.t.send(b.id, bytes(1))
    h.bus.close()
    expect(a.ev.closed).toEqual([{ reason: 'bus closed' }])
    expect(b.ev.closed).toEqual([{ reason: 'bus closed' }])
    expect(h.bus.inFlight()).toBe(0)
    expect(h.clock.pending()).toBe(0)
    expect(() => h.bus.connect(h.tag)).toThrow()
  })
})
