import { afterEach, describe, expect, test } from 'vitest'
import { bytes, codeOf, must, sleep, startRig, tagOf, type Rig } from './testing/plane.js'

let rig: Rig | undefined
afterEach(async () => {
  await rig?.close()
  rig = undefined
})

describe('join and identity', () => {
  test('B1 B2: join answers self = socket id and the current authority; joining twice is idempotent', async () => {
    rig = await startRig()
    const [a, b] = await rig.clients(2)
    const tag = tagOf('join')
    expect(must(await a!.join(tag))).toEqual({ self: a!.id, authority: null })
    expect(must(await a!.claim(tag)).granted).toBe(true)
    expect(must(await b!.join(tag))).toEqual({ self: b!.id, authority: a!.id })
    expect(must(await b!.join(tag))).toEqual({ self: b!.id, authority: a!.id })
    expect(rig.broker.metrics.snapshot().tags).toBe(1)
  })

  test('B2 B13: a malformed tag or request is BAD_MESSAGE', async () => {
    rig = await startRig()
    const a = await rig.client()
    expect(codeOf(await a.join('short'))).toBe('BAD_MESSAGE')
    expect(codeOf(await a.join('x'.repeat(42) + '!'))).toBe('BAD_MESSAGE')
    const reply: unknown = await a.socket.timeout(2000).emitWithAck('join', 'not an object')
    expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_MESSAGE' } })
  })
})

describe('handshake join (B21)', () => {
  const asking = (tag: unknown, claim?: unknown) => ({
    auth: { kibitz: claim === undefined ? { join: tag } : { join: tag, claim } },
  })

  test('B21: join and claim in the handshake are answered as one joined event, before any request', async () => {
    rig = await startRig()
    const tag = tagOf('handshake')
    const a = await rig.client(asking(tag, true))
    await a.waitFor(() => a.received.joined.length === 1, 2_000, 'joined')
    const [ja] = a.received.joined
    expect(ja!.tag).toBe(tag)
    expect(must(ja!.join)).toEqual({ self: a.id, authority: null })
    expect(must(ja!.claim!)).toEqual({ granted: true, authority: a.id })
    // A second member learns the holder; its claim is refused in the same event.
    const b = await rig.client(asking(tag, true))
    await b.waitFor(() => b.received.joined.length === 1, 2_000, 'joined')
    expect(must(b.received.joined[0]!.join)).toEqual({ self: b.id, authority: a.id })
    expect(must(b.received.joined[0]!.claim!)).toEqual({ granted: false, authority: a.id })
    // Join only: no claim in the event. The requests that follow are idempotent repeats.
    const c = await rig.client(asking(tag))
    await c.waitFor(() => c.received.joined.length === 1, 2_000, 'joined')
    expect(c.received.joined[0]!.claim).toBeNull()
    expect(must(await c.join(tag))).toEqual({ self: c.id, authority: a.id })
    expect(must(await a.claim(tag))).toEqual({ granted: true, authority: a.id })
    // Members of the tag for routing, departures and vacancy like any joiner (B6, B9).
    expect(must(await b.send(tag, c.id, bytes(1)))).toEqual({})
    await c.waitFor(() => c.received.frames.length === 1, 2_000, 'the frame')
    const snapshot = rig.broker.metrics.snapshot()
    expect(snapshot.tags).toBe(1)
    expect(snapshot.claimsGranted).toBe(1)
  })

  test('B21 B13: a malformed handshake join is ignored: no event, the requests work as usual', async () => {
    rig = await startRig()
    const tag = tagOf('handshake-bad')
    for (const opts of [
      asking('short'),
      asking(tag, 'yes'),
      { auth: { kibitz: 'join' } },
      { auth: { kibitz: null } },
      { auth: { join: tag } },
    ]) {
      const c = await rig.client(opts)
      // Ordered after anything the handshake could have produced (B15).
      expect(must(await c.join(tag)).self).toBe(c.id)
      expect(c.received.joined).toEqual([])
      expect(c.received.malformed).toEqual([])
    }
  })

  test('B21 B3 B11: limits apply: a full tag is the join reply inside, with no claim; tokens are spent', async () => {
    rig = await startRig({ maxSocketsPerTag: 1, burst: 3, rate: 1 })
    const tag = tagOf('handshake-full')
    const a = await rig.client(asking(tag, true))
    await a.waitFor(() => a.received.joined.length === 1, 2_000, 'joined')
    expect(must(a.received.joined[0]!.claim!).granted).toBe(true)
    const b = await rig.client(asking(tag, true))
    await b.waitFor(() => b.received.joined.length === 1, 2_000, 'joined')
    expect(codeOf(b.received.joined[0]!.join)).toBe('ROOM_FULL')
    expect(b.received.joined[0]!.claim).toBeNull()
    // a spent two of its three tokens in the handshake: one request passes, the next is limited.
    expect(must(await a.join(tag)).self).toBe(a.id)
    expect(codeOf(await a.join(tag))).toBe('RATE_LIMITED')
  })
})

describe('handshake announce (B22)', () => {
  const asking = (tag: string, announce: unknown, claim = true) => ({
    auth: { kibitz: { join: tag, claim, announce } },
  })

  test('B22: a joiner whose handshake carries an announce has it relayed to the holder as a frame from it, before its requests', async () => {
    rig = await startRig()
    const tag = tagOf('announce')
    // The first joiner wins the slot: its announce has nobody to go to.
    const a = await rig.client(asking(tag, bytes(7)))
    await a.waitFor(() => a.received.joined.length === 1, 2_000, 'joined')
    expect(must(a.received.joined[0]!.claim!).granted).toBe(true)
    expect(a.received.joined[0]!.announced).toBeNull()
    const b = await rig.client(asking(tag, bytes(40)))
    await b.waitFor(() => b.received.joined.length === 1, 2_000, 'joined')
    expect(b.received.joined[0]!.announced).toBe(a.id)
    await a.waitFor(() => a.received.frames.length === 1, 2_000, 'the announce')
    expect(a.received.frames[0]).toEqual({ tag, from: b.id, payload: bytes(40) })
    // A join-only handshake relays too; a plain member's own frames still route (B6).
    const c = await rig.client(asking(tag, bytes(3), false))
    await c.waitFor(() => c.received.joined.length === 1, 2_000, 'joined')
    expect(c.received.joined[0]!.announced).toBe(a.id)
    await a.waitFor(() => a.received.frames.length === 2, 2_000, 'the second announce')
    expect(a.received.frames[1]!.from).toBe(c.id)
    expect(b.received.frames).toEqual([])
    expect(rig.broker.metrics.snapshot().framesRelayed).toBe(2)
  })

  test('B22 B13 B11: an announce that is not 1..64 KiB of bytes voids the handshake; a rate-limited one is not relayed', async () => {
    rig = await startRig({ burst: 2, rate: 1 })
    const tag = tagOf('announce-bad')
    const a = await rig.client(asking(tag, undefined))
    await a.waitFor(() => a.received.joined.length === 1, 2_000, 'joined')
    for (const announce of ['text', new Uint8Array(0), new Uint8Array(64 * 1024 + 1)]) {
      const c = await rig.client(asking(tag, announce, false))
      expect(must(await c.join(tag)).authority).toBe(a.id)
      expect(c.received.joined).toEqual([])
    }
    // Two tokens: the join and the claim take them, the relay is refused (the client announces).
    const d = await rig.client(asking(tag, bytes(5)))
    await d.waitFor(() => d.received.joined.length === 1, 2_000, 'joined')
    expect(must(d.received.joined[0]!.claim!).granted).toBe(false)
    expect(d.received.joined[0]!.announced).toBeNull()
    await sleep(100)
    expect(a.received.frames).toEqual([])
  })
})

describe('claim', () => {
  test('B4: a 20-client claim race has exactly one winner and all agree on the authority', async () => {
    rig = await startRig()
    const clients = await rig.clients(20)
    const tag = tagOf('race')
    await Promise.all(clients.map((c) => c.join(tag)))
    const replies = (await Promise.all(clients.map((c) => c.claim(tag)))).map(must)
    const winners = replies.filter((r) => r.granted)
    expect(winners).toHaveLength(1)
    const authority = winners[0]!.authority
    expect(clients.map((c) => c.id)).toContain(authority)
    for (const r of replies) expect(r.authority).toBe(authority)
    // A late joiner learns it too, and the holder re-claiming stays granted.
    const late = await rig.client()
    expect(must(await late.join(tag)).authority).toBe(authority)
    const holder = clients.find((c) => c.id === authority)!
    expect(must(await holder.claim(tag))).toEqual({ granted: true, authority })
    expect(rig.broker.metrics.snapshot().claimsGranted).toBe(1)
  })

  test('B4: claiming a tag you did not join is NOT_IN_ROOM', async () => {
    rig = await startRig()
    const a = await rig.client()
    expect(codeOf(await a.claim(tagOf('nope')))).toBe('NOT_IN_ROOM')
  })

  test('B5: only the holder can release; release of a vacant slot is ok', async () => {
    rig = await startRig()
    const [a, b] = await rig.clients(2)
    const tag = tagOf('rel')
    await a!.join(tag)
    await b!.join(tag)
    must(await a!.release(tag))
    must(await a!.claim(tag))
    expect(codeOf(await b!.release(tag))).toBe('CLAIM_DENIED')
    expect(codeOf(await b!.release(tagOf('other')))).toBe('NOT_IN_ROOM')
  })
})

describe('routing', () => {
  test('B6 B8: frames reach only the addressed socket of the same tag, never across tags', async () => {
    rig = await startRig()
    const [a, b, c, x] = await rig.clients(4)
    const t1 = tagOf('iso-1')
    const t2 = tagOf('iso-2')
    for (const m of [a, b, c]) await m!.join(t1)
    await x!.join(t2)
    must(await a!.send(t1, b!.id, bytes(1, 2, 3)))
    await b!.waitFor(() => b!.received.frames.length === 1, 2000, 'frame')
    const f = b!.received.frames[0]!
    expect(f.tag).toBe(t1)
    expect(f.from).toBe(a!.id)
    expect([...f.payload]).toEqual([1, 2, 3])

    // `to` outside the sender's tag: NO_SUCH_PEER and nothing delivered.
    expect(codeOf(await a!.send(t1, x!.id, bytes(9)))).toBe('NO_SUCH_PEER')
    // Sending in a tag you did not join, even to a member of it: NOT_IN_ROOM.
    expect(codeOf(await x!.send(t1, b!.id, bytes(9)))).toBe('NOT_IN_ROOM')
    // x is in t2 but addresses b with tag t2: b is not in t2.
    expect(codeOf(await x!.send(t2, b!.id, bytes(9)))).toBe('NO_SUCH_PEER')
    expect(codeOf(await a!.send(t1, 'no-such-socket', bytes(9)))).toBe('NO_SUCH_PEER')
    await sleep(100)
    expect(x!.received.frames).toHaveLength(0)
    expect(c!.received.frames).toHaveLength(0)
    expect(a!.received.frames).toHaveLength(0)
    expect(b!.received.frames).toHaveLength(1)
    for (const m of [a, b, c, x]) expect(m!.received.malformed).toEqual([])
  })

  test('B7: `from` is stamped by the broker; a `from` in the request is ignored', async () => {
    rig = await startRig()
    const [a, b, victim] = await rig.clients(3)
    const tag = tagOf('spoof')
    for (const m of [a, b, victim]) await m!.join(tag)
    const reply: unknown = await a!.socket
      .timeout(2000)
      .emitWithAck('send', { tag, to: b!.id, payload: bytes(7), from: victim!.id })
    expect(reply).toEqual({ ok: true })
    // A payload that "claims" another sender is just bytes to the broker.
    must(await a!.send(tag, b!.id, new TextEncoder().encode(JSON.stringify({ from: victim!.id }))))
    await b!.waitFor(() => b!.received.frames.length === 2, 2000, 'frames')
    for (const f of b!.received.frames) expect(f.from).toBe(a!.id)
  })

  test('B14: without an ack, a refused send comes back as a `refused` event', async () => {
    rig = await startRig()
    const a = await rig.client()
    const tag = tagOf('noack')
    await a.join(tag)
    a.sendNoAck(tag, 'ghost', bytes(1))
    a.socket.emit('send', { tag: 42 })
    await a.waitFor(() => a.received.refused.length === 2, 2000, 'refusals')
    expect(a.received.refused[0]).toMatchObject({
      op: 'send',
      tag,
      error: { code: 'NO_SUCH_PEER' },
    })
    expect(a.received.refused[1]).toMatchObject({ op: 'send', error: { code: 'BAD_MESSAGE' } })
  })

  test('B15: requests of one socket are handled in order (join then send without waiting)', async () => {
    rig = await startRig()
    const [a, b] = await rig.clients(2)
    const tag = tagOf('order')
    await b!.join(tag)
    a!.socket.emit('join', { tag })
    for (let i = 0; i < 5; i++) a!.sendNoAck(tag, b!.id, bytes(i))
    await b!.waitFor(() => b!.received.frames.length === 5, 2000, 'frames')
    expect(b!.received.frames.map((f) => f.payload[0])).toEqual([0, 1, 2, 3, 4])
    expect(a!.received.refused).toEqual([])
  })
})

describe('departure and vacancy', () => {
  test('B9: the authority hears member-left on leave and on disconnect; other members do not', async () => {
    rig = await startRig()
    const [auth, m1, m2, m3] = await rig.clients(4)
    const tag = tagOf('left')
    for (const m of [auth, m1, m2, m3]) await m!.join(tag)
    must(await auth!.claim(tag))
    must(await m1!.leave(tag))
    m2!.close()
    await auth!.waitFor(() => auth!.received.memberLeft.length === 2, 3000, 'member-left')
    expect(auth!.received.memberLeft).toEqual(
      expect.arrayContaining([
        { tag, id: m1!.id },
        { tag, id: m2!.id },
      ]),
    )
    await sleep(50)
    expect(m3!.received.memberLeft).toEqual([])
    expect(m3!.received.vacated).toEqual([])
    // After leaving, m1 is no longer addressable in the tag.
    expect(codeOf(await m3!.send(tag, m1!.id, bytes(1)))).toBe('NO_SUCH_PEER')
  })

  test('B10: authority disconnect vacates the slot for every member; a new claim succeeds', async () => {
    rig = await startRig()
    const [auth, m1, m2] = await rig.clients(3)
    const tag = tagOf('vacate')
    for (const m of [auth, m1, m2]) await m!.join(tag)
    must(await auth!.claim(tag))
    const authId = auth!.id
    auth!.close()
    for (const m of [m1, m2]) {
      await m!.waitFor(() => m!.received.vacated.length === 1, 3000, 'vacated')
      expect(m!.received.vacated[0]).toEqual({ tag, authority: authId })
    }
    const [c1, c2] = await Promise.all([m1!.claim(tag), m2!.claim(tag)])
    expect([must(c1).granted, must(c2).granted].filter(Boolean)).toHaveLength(1)
  })

  test('B10: release vacates for the other members (not the releaser), and leave by the authority too', async () => {
    rig = await startRig()
    const [auth, m1] = await rig.clients(2)
    const tag = tagOf('release')
    await auth!.join(tag)
    await m1!.join(tag)
    must(await auth!.claim(tag))
    must(await auth!.release(tag))
    await m1!.waitFor(() => m1!.received.vacated.length === 1, 2000, 'vacated')
    expect(auth!.received.vacated).toEqual([])
    expect(must(await m1!.claim(tag)).granted).toBe(true)
    must(await m1!.leave(tag))
    await auth!.waitFor(() => auth!.received.vacated.length === 1, 2000, 'vacated after leave')
    expect(auth!.received.vacated[0]).toEqual({ tag, authority: m1!.id })
    expect(must(await auth!.claim(tag)).granted).toBe(true)
  })
})

describe('limits', () => {
  test('B3: ROOM_FULL past max sockets per tag; a slot frees on leave', async () => {
    rig = await startRig({ maxSocketsPerTag: 3 })
    const cs = await rig.clients(4)
    const tag = tagOf('full')
    for (const c of cs.slice(0, 3)) must(await c.join(tag))
    expect(codeOf(await cs[3]!.join(tag))).toBe('ROOM_FULL')
    must(await cs[0]!.leave(tag))
    must(await cs[3]!.join(tag))
  })

  test('B3: TOO_MANY_ROOMS past max tags per socket', async () => {
    rig = await startRig({ maxTagsPerSocket: 2 })
    const a = await rig.client()
    must(await a.join(tagOf('r1')))
    must(await a.join(tagOf('r2')))
    must(await a.join(tagOf('r2')))
    expect(codeOf(await a.join(tagOf('r3')))).toBe('TOO_MANY_ROOMS')
    must(await a.leave(tagOf('r1')))
    must(await a.join(tagOf('r3')))
  })
})
