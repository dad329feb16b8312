import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  PacketType,
  brokerParser,
  decodeBrokerPacket,
  encodeBrokerPacket,
  type BrokerPacket,
} from './broker-codec.js'
import { isKibitzError } from './errors.js'

const bytes = (...xs: number[]) => new Uint8Array(xs)

describe('P18 broker packet framing', () => {
  it('round-trips every packet type, with and without ack ids and namespaces', () => {
    const packets: BrokerPacket[] = [
      { type: PacketType.CONNECT, nsp: '/' },
      { type: PacketType.CONNECT, nsp: '/', data: { sid: 'abc' } },
      { type: PacketType.DISCONNECT, nsp: '/admin' },
      { type: PacketType.EVENT, nsp: '/', data: ['join', { tag: 'x'.repeat(43) }], id: 7 },
      { type: PacketType.ACK, nsp: '/', data: [{ ok: true, self: 's1', authority: null }], id: 0 },
      { type: PacketType.CONNECT_ERROR, nsp: '/', data: { message: 'nope' } },
      { type: PacketType.EVENT, nsp: '/', data: ['refused', { op: 'send', error: { code: 'X' } }] },
    ]
    for (const p of packets) {
      const decoded = decodeBrokerPacket(encodeBrokerPacket(p))
      expect(decoded).toEqual({ ok: true, value: { ...p, data: p.data } })
    }
  })

  it('carries binary values as attachments in the same single message', () => {
    const payload = new Uint8Array([1, 2, 3, 250])
    const nested = new Uint8Array([9]).buffer
    const wire = encodeBrokerPacket({
      type: PacketType.EVENT,
      nsp: '/',
      data: ['frame', { tag: 't', from: 'a', payload, more: [nested] }],
    })
    // One message; the attachment bytes sit inside it.
    expect(wire).toBeInstanceOf(Uint8Array)
    const decoded = decodeBrokerPacket(wire)
    if (!decoded.ok) throw decoded.error
    const [event, body] = decoded.value.data as [string, Record<string, unknown>]
    expect(event).toBe('frame')
    expect(Array.from(body.payload as Uint8Array)).toEqual([1, 2, 3, 250])
    expect(Array.from((body.more as Uint8Array[])[0]!)).toEqual([9])
  })

  it('accepts Node Buffers and ArrayBuffers on decode (offset views included)', () => {
    const wire = encodeBrokerPacket({ type: PacketType.EVENT, nsp: '/', data: ['x', 1] })
    const padded = new Uint8Array(wire.length + 5)
    padded.set(wire, 5)
    expect(decodeBrokerPacket(padded.subarray(5)).ok).toBe(true)
    expect(decodeBrokerPacket(wire.buffer).ok).toBe(true)
  })

  it('refuses text, truncation, overruns, dangling placeholders and invalid payloads', () => {
    const good = encodeBrokerPacket({ type: PacketType.EVENT, nsp: '/', data: ['x', { a: 1 }] })
    const cases: unknown[] = [
      '42["join"]',
      null,
      bytes(),
      good.subarray(0, 6),
      bytes(0x22, ...good.subarray(1)), // version 2
      bytes(0x12, 0xff, 0xff, 0xff, 0xff, 0, 1, 0xff, 0xff, 0, 0), // attachment overruns
      encodeBrokerPacket({
        type: PacketType.EVENT,
        nsp: '/',
        data: [{ _placeholder: true, num: 0 }],
      }),
      encodeBrokerPacket({ type: PacketType.EVENT, nsp: '/', data: { not: 'an array' } }),
      encodeBrokerPacket({ type: PacketType.DISCONNECT, nsp: '/', data: ['x'] }),
      encodeBrokerPacket({ type: 9, nsp: '/', data: ['x'] }),
      bytes(0x12, 0xff, 0xff, 0xff, 0xff, 3, 0x61, 0x62, 0x63, 0), // nsp without leading slash
    ]
    for (const c of cases) {
      const r = decodeBrokerPacket(c)
      expect(r.ok, String(c)).toBe(false)
      if (!r.ok) expect(r.error.code).toBe('BAD_MESSAGE')
    }
  })

  it('P2: random bytes and mutated packets never throw', () => {
    const seed = encodeBrokerPacket({
      type: PacketType.EVENT,
      nsp: '/',
      id: 3,
      data: ['send', { tag: 't', to: 'b', payload: new Uint8Array(32) }],
    })
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (junk) => {
        const r = decodeBrokerPacket(junk)
        if (!r.ok) expect(isKibitzError(r.error)).toBe(true)
      }),
      { numRuns: 3000 },
    )
    fc.assert(
      fc.property(
        fc.nat({ max: seed.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        fc.nat({ max: seed.length }),
        (at, value, cut) => {
          const m = seed.slice(0, Math.max(cut, 1))
          if (at < m.length) m[at] = value
          const r = decodeBrokerPacket(m)
          if (!r.ok) expect(isKibitzError(r.error)).toBe(true)
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('exposes the socket.io parser shape: Encoder.encode → one chunk; Decoder emits decoded', () => {
    const encoder = new brokerParser.Encoder()
    const chunks = encoder.encode({
      type: PacketType.EVENT,
      nsp: '/',
      data: ['a', new Uint8Array(2)],
    })
    expect(chunks).toHaveLength(1)
    const decoder = new brokerParser.Decoder()
    const seen: BrokerPacket[] = []
    const listener = (p: BrokerPacket) => seen.push(p)
    decoder.on('decoded', listener)
    decoder.add(chunks[0])
    expect(seen).toHaveLength(1)
    expect(() => decoder.add('2probe')).toThrow()
    decoder.removeListener('decoded', listener)
    decoder.add(chunks[0])
    expect(seen).toHaveLength(1)
    decoder.destroy()
  })
})
