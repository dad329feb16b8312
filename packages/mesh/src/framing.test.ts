import { ErrorCode, type Clock } from '@kibitz/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FRAME_BYTES, OutgoingMessage, parseFrame } from './framing.js'
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
          const out = frames(new OutgoingMessage(kind, bytes, id))
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
    q.enqueue('bin', big)
    q.enqueue('json', new TextEncoder().encode('"tail"'))
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
