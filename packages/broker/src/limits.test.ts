import { MAX_BROKER_FRAME_BYTES } from '@kibitz/protocol'
import { afterEach, describe, expect, test } from 'vitest'
import { HARD_MESSAGE_CAP_BYTES } from './server.js'
import { bytes, codeOf, must, sleep, startRig, tagOf, type Rig } from './testing/plane.js'

let rig: Rig | undefined
afterEach(async () => {
  await rig?.close()
  rig = undefined
})

describe('frame size (B12)', () => {
  test('a frame of exactly 64 KiB relays; one byte more is TOO_LARGE; the socket stays up', async () => {
    rig = await startRig()
    const [a, b] = await rig.clients(2)
    const tag = tagOf('size')
    await a!.join(tag)
    await b!.join(tag)
    must(await a!.send(tag, b!.id, new Uint8Array(MAX_BROKER_FRAME_BYTES)))
    expect(codeOf(await a!.send(tag, b!.id, new Uint8Array(MAX_BROKER_FRAME_BYTES + 1)))).toBe(
      'TOO_LARGE',
    )
    expect(codeOf(await a!.send(tag, b!.id, new Uint8Array(200 * 1024)))).toBe('TOO_LARGE')
    expect(codeOf(await a!.send(tag, b!.id, new Uint8Array(0)))).toBe('BAD_MESSAGE')
    await b!.waitFor(() => b!.received.frames.length === 1, 2000, 'the 64 KiB frame')
    expect(b!.received.frames[0]!.payload.byteLength).toBe(MAX_BROKER_FRAME_BYTES)
    expect(a!.socket.connected).toBe(true)
    expect(rig.broker.metrics.snapshot().refused).toMatchObject({ TOO_LARGE: 2, BAD_MESSAGE: 1 })
  })

  test('a message beyond the hard cap closes only that transport', async () => {
    rig = await startRig()
    const [a, b] = await rig.clients(2)
    const tag = tagOf('cap')
    await a!.join(tag)
    await b!.join(tag)
    const closed = new Promise<void>((resolve) => a!.socket.once('disconnect', () => resolve()))
    a!.sendNoAck(tag, b!.id, new Uint8Array(HARD_MESSAGE_CAP_BYTES + 1024))
    await closed
    // b and the broker are fine.
    const c = await rig.client()
    await c.join(tag)
    must(await c.send(tag, b!.id, bytes(1)))
  })
})

describe('rate limit (B11)', () => {
  test('a flood gets RATE_LIMITED, stays connected, and a second room keeps flowing meanwhile', async () => {
    rig = await startRig({ rate: 200, burst: 400 })
    const [flooder, sink, p1, p2] = await rig.clients(4)
    const floodTag = tagOf('flood')
    const calmTag = tagOf('calm')
    await flooder!.join(floodTag)
    await sink!.join(floodTag)
    await p1!.join(calmTag)
    await p2!.join(calmTag)

    const FLOOD = 3000
    const CALM = 50
    const latencies: number[] = []
    const sentAt = new Map<number, number>()
    p2!.onFrame((f) => {
      const i = f.payload[0]!
      const t0 = sentAt.get(i)
      if (t0 !== undefined) latencies.push(performance.now() - t0)
    })
    const payload = new Uint8Array(1024)
    const calm = (async () => {
      for (let i = 0; i < CALM; i++) {
        sentAt.set(i, performance.now())
        p1!.sendNoAck(calmTag, p2!.id, bytes(i))
        await sleep(5)
      }
    })()
    // The flood runs alongside the calm room: 100 frames per event-loop turn (clients and broker
    // share this process, so one synchronous burst would only measure the test's own loop).
    const flood = (async () => {
      for (let i = 0; i < FLOOD; i += 100) {
        for (let j = 0; j < 100; j++) flooder!.sendNoAck(floodTag, sink!.id, payload)
        await new Promise((r) => setImmediate(r))
      }
    })()
    await Promise.all([calm, flood])
    await p2!.waitFor(() => p2!.received.frames.length === CALM, 5000, 'calm frames')
    await flooder!.waitFor(
      () => flooder!.received.refused.length + sink!.received.frames.length >= FLOOD,
      10_000,
      'every flood frame either relayed or refused',
    )
    const refused = flooder!.received.refused
    expect(refused.length).toBeGreaterThan(FLOOD - 1000)
    expect(new Set(refused.map((r) => r.error.code))).toEqual(new Set(['RATE_LIMITED']))
    // The bucket let through at least the burst, and not much more than burst + rate × elapsed.
    expect(sink!.received.frames.length).toBeGreaterThanOrEqual(400)
    expect(flooder!.socket.connected).toBe(true)
    latencies.sort((x, y) => x - y)
    const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? Infinity
    // Generous bound (2-core CI, broker and clients in one process): the calm room is not starved.
    expect(p99).toBeLessThan(1000)
    console.info(
      `calm room during flood: ${latencies.length} frames, p50 ${latencies[latencies.length >> 1]?.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms; flooder relayed ${sink!.received.frames.length}, refused ${refused.length}`,
    )
  })

  test('a persistent flooder (> 10 × burst refusals in a row) is disconnected', async () => {
    rig = await startRig({ rate: 5, burst: 5 })
    const [flooder, sink] = await rig.clients(2)
    const tag = tagOf('flooder')
    await flooder!.join(tag)
    await sink!.join(tag)
    const gone = new Promise<void>((resolve) => flooder!.socket.once('disconnect', () => resolve()))
    for (let i = 0; i < 200; i++) flooder!.sendNoAck(tag, sink!.id, bytes(1))
    await gone
    expect(rig.broker.metrics.snapshot().disconnectedFlooders).toBe(1)
  })

  test('unknown events cost a token too and are counted, never answered', async () => {
    rig = await startRig({ rate: 1, burst: 3 })
    const a = await rig.client()
    for (let i = 0; i < 3; i++) a.socket.emit('whatever', { i })
    await sleep(50)
    expect(rig.broker.metrics.snapshot().unknownEvents).toBe(3)
    expect(codeOf(await a.join(tagOf('u')))).toBe('RATE_LIMITED')
  })
})
