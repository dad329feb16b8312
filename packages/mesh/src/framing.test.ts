import { ErrorCode, type Clock } from '@kibitz/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FRAME_BYTES, FramedMessage, OutgoingMessage, parseFrame } from './framing.js'
import type { PeerLink } from './peer-link.js'
import { Reassembler } from './reassembly.js'
import { SendQueue } from './sender.js'

const frames = (m: OutgoingMessage): Uint8Array[] => {
  const out: Uint8Array[] = []
  for (let f = m.next(); f; f = m.next()) out.push(f)
  return out
}

describe('framing (M20–M23)', () => {
  it('any message round-trips through frames ≤ FRAME_BYTES', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3 * FRAME_BYTES }),
        fc.constantFrom('json' as const, 'bin' as const),
        fc.nat(),
        (bytes, kind, id) => {
          const r = new Reassembler()
          const out = frames(new OutgoingMessage(new FramedMessage(kind, bytes, id)))
          let done = null
          for (const [i, f] of out.entries()) {
            expect(f.byteLength).toBeLessThanOrEqual(FRAME_BYTES)
            const res = r.push(f)
            expect(res.ok).toBe(true)
            if (res.ok && res.value) {
              expect(i).toBe(out.length - 1)
              done = res.value
            }
          }
          expect(done?.kind).toBe(kind)
          expect(Array.from(done!.bytes)).toEqual(Array.from(bytes))
          expect(r.inFlight).toBe(0)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('frames a message once: views of one copy, the caller may reuse its buffer', () => {
    const bytes = new Uint8Array(3 * FRAME_BYTES + 17).map((_, i) => (i * 7) & 255)
    const expected = bytes.slice()
    const framed = new FramedMessage('bin', bytes, 9)
    bytes.fill(0) // the caller reuses its buffer at once
    const buffers = new Set(framed.frames.map((f) => f.buffer))
    expect(buffers.size).toBe(1)
    expect(framed.frames.length).toBe(4)
    // Two peers' cursors over the same frames, restartable after a link change.
    for (const cursor of [new OutgoingMessage(framed), new OutgoingMessage(framed)]) {
      cursor.next()
      expect(cursor.started).toBe(true)
      cursor.restart()
      const r = new Reassembler()
      const got = frames(cursor).map((f) => r.push(f))
      expect(got.slice(0, -1).every((g) => g.ok && g.value === null)).toBe(true)
      const last = got.at(-1)!
      expect(last.ok && Buffer.compare(last.value!.bytes, expected)).toBe(0)
      expect(cursor.done).toBe(true)
    }
  })

  it('a FIRST frame that carries its whole message is delivered without a partial', () => {
    const frame = new Uint8Array(10 + 3)
    const view = new DataView(frame.buffer)
    frame[0] = 0x03
    frame[1] = 0x02
    view.setUint32(2, 5)
    view.setUint32(6, 3)
    frame.set([1, 2, 3], 10)
    const r = new Reassembler()
    const res = r.push(frame)
    expect(res.ok && Array.from(res.value!.bytes)).toEqual([1, 2, 3])
    expect(r.inFlight).toBe(0)
  })

  it('arbitrary bytes never throw and never grow state past the limits', () => {
    const r = new Reassembler({
      maxJsonBytes: 1000,
      maxBinaryBytes: 5000,
      maxInFlight: 2,
      maxInFlightBytes: 6000,
    })
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const res = r.push(bytes)
        if (!res.ok) expect([ErrorCode.BAD_MESSAGE, ErrorCode.TOO_LARGE]).toContain(res.error.code)
        expect(r.inFlight).toBeLessThanOrEqual(2)
      }),
      { numRuns: 2000 },
    )
    expect(parseFrame(new Uint8Array(FRAME_BYTES + 1).fill(2)).ok).toBe(false)
  })
})

describe('send queue backpressure (M24, M25)', () => {
  it('small messages do not read bufferedAmount each time: an upper bound stands in', () => {
    let reads = 0
    let buffered = 0
    const link = {
      initiator: true,
      connected: true,
      get bufferedAmount() {
        reads++
        return buffered
      },
      send(frame: Uint8Array) {
        buffered += frame.byteLength
      },
      signal() {},
      on: () => () => {},
      destroy() {},
    } satisfies PeerLink
    const clock: Clock = {
      now: () => 0,
      setTimeout: () => 0,
      clearTimeout: () => undefined,
      setInterval: () => 0,
      clearInterval: () => undefined,
    }
    const q = new SendQueue(clock)
    q.attach(link)
    for (let i = 0; i < 1000; i++) q.enqueue(new FramedMessage('bin', new Uint8Array(16), i + 1))
    expect(q.length).toBe(0)
    expect(reads).toBe(1) // once on the fresh link; 17 kB sent since stays under the mark
    // Once the bound passes the high-water mark it reads again, and pauses on a full channel.
    for (let i = 0; i < 20; i++) q.enqueue(new FramedMessage('bin', new Uint8Array(60_000), i + 1))
    expect(reads).toBeGreaterThan(1)
    expect(buffered).toBeLessThanOrEqual(1024 * 1024 + 60_001)
    expect(q.length).toBeGreaterThan(0)
  })

  it('pauses above the high-water mark and resumes by polling, with no bufferedamountlow event', async () => {
    // A fake channel that drains 100 KiB every 2 ms and has no events at all.
    let buffered = 0
    let maxBuffered = 0
    const received: Uint8Array[] = []
    const link = {
      initiator: true,
      connected: true,
      get bufferedAmount() {
        return buffered
      },
      send(frame: Uint8Array) {
        buffered += frame.byteLength
        maxBuffered = Math.max(maxBuffered, buffered)
        received.push(frame)
      },
      signal() {},
      on: () => () => {},
      destroy() {},
    } satisfies PeerLink
    const drain = setInterval(() => (buffered = Math.max(0, buffered - 100 * 1024)), 2)
    const clock: Clock = {
      now: () => Date.now(),
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
      setInterval: (fn, ms) => setInterval(fn, ms),
      clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
    }
    const q = new SendQueue(clock)
    q.attach(link)
    const big = new Uint8Array(5 * 1024 * 1024).map((_, i) => i & 255)
    q.enqueue(new FramedMessage('bin', big, 1))
    q.enqueue(new FramedMessage('json', new TextEncoder().encode('"tail"'), 2))
    const t0 = Date.now()
    while (q.length > 0 && Date.now() - t0 < 5_000) await new Promise((r) => setTimeout(r, 5))
    clearInterval(drain)
    expect(q.length).toBe(0)
    expect(maxBuffered).toBeLessThanOrEqual(1024 * 1024 + FRAME_BYTES)
    const r = new Reassembler()
    const out = received.map((f) => r.push(f)).flatMap((x) => (x.ok && x.value ? [x.value] : []))
    expect(out.map((m) => m.kind)).toEqual(['bin', 'json'])
    expect(Buffer.compare(out[0]!.bytes, big)).toBe(0)
  })
})
