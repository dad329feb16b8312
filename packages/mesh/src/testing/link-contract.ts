import { ErrorCode } from '@kibitz/protocol'
import { expect, it } from 'vitest'
import { candidateAddress } from '../candidates.js'
import type { LinkSignal, PeerLink } from '../peer-link.js'
import { DRAIN_THRESHOLD_BYTES } from '../sender.js'
import { bytes, forward, linkSide, openLinkPair, type MakeLink, type Side } from './link-pair.js'
import { waitFor } from './wait.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * The contract every real link keeps (M39, M43), as tests to call inside a `describe`: `drain` at
 * the threshold, the close protocol, and typed refusals of bad signals. `made` collects every
 * link built, for the caller's cleanup.
 */
export function linkContract(make: MakeLink, made: PeerLink[]): void {
  it('fires drain once a full channel is back at the threshold (M24)', async () => {
    const [a, b] = await openLinkPair(make, { made })
    let drainedAt = -1
    a.link.on('drain', () => {
      if (drainedAt < 0) drainedAt = a.link.bufferedAmount
    })
    const frame = bytes(64 * 1024, 1)
    let sent = 0
    while (a.link.bufferedAmount <= 2 * DRAIN_THRESHOLD_BYTES && sent < 32 * 1024 * 1024) {
      a.link.send(frame)
      sent += frame.byteLength
    }
    expect(a.link.bufferedAmount).toBeGreaterThan(DRAIN_THRESHOLD_BYTES)
    await waitFor(() => drainedAt >= 0, 5_000, 'drain')
    expect(drainedAt).toBeLessThanOrEqual(DRAIN_THRESHOLD_BYTES)
    const received = () => b.data.reduce((n, d) => n + (d as Uint8Array).byteLength, 0)
    await waitFor(() => received() === sent, 10_000, 'every byte')
    for (const s of [a, b]) s.link.destroy()
  })

  it('a low-water crossing that arrives after the channel refilled is not a drain (M24)', async () => {
    // The crossing is reported from the stack's network thread. Hold the event loop while the
    // channel drains below the threshold (the report is queued), refill past it, then let the
    // stale report in: it must not say "drained" of a full channel.
    const [a, b] = await openLinkPair(make, { made })
    const drains: number[] = []
    a.link.on('drain', () => drains.push(a.link.bufferedAmount))
    const frame = bytes(64 * 1024, 2)
    let sent = 0
    const fill = (to: number) => {
      while (a.link.bufferedAmount <= to) {
        a.link.send(frame)
        sent += frame.byteLength
      }
    }
    fill(2 * DRAIN_THRESHOLD_BYTES)
    const spinUntil = Date.now() + 2_000
    while (a.link.bufferedAmount > DRAIN_THRESHOLD_BYTES && Date.now() < spinUntil) {
      // spin: no event loop turn, so the crossing's report waits in the queue
    }
    fill(2 * DRAIN_THRESHOLD_BYTES)
    await waitFor(() => drains.length > 0, 5_000, 'drain')
    expect(drains.every((at) => at <= DRAIN_THRESHOLD_BYTES)).toBe(true)
    const received = () => b.data.reduce((n, d) => n + (d as Uint8Array).byteLength, 0)
    await waitFor(() => received() === sent, 10_000, 'every byte')
    for (const s of [a, b]) s.link.destroy()
  })

  it('destroy: one close on each side, asynchronously, and nothing after it', async () => {
    const [a, b] = await openLinkPair(make, { made })
    a.link.destroy()
    expect(a.log).not.toContain('close') // asynchronous…
    expect(a.link.connected).toBe(false)
    expect(a.link.bufferedAmount).toBe(0)
    expect(() => a.link.send(bytes(1, 1))).toThrow(expect.objectContaining({ code: 'INTERNAL' }))
    await Promise.resolve()
    expect(a.log.at(-1)).toBe('close') // …but prompt
    await waitFor(() => b.log.includes('close'), 5_000, 'remote close')
    a.link.destroy()
    b.link.destroy()
    a.link.signal({ kind: 'ice', candidate: null })
    b.link.signal(a.sent[0]!)
    expect(await a.link.getStats!()).toBeNull()
    await sleep(300)
    for (const s of [a, b]) {
      expect(s.log.filter((e) => e === 'close')).toHaveLength(1)
      expect(s.log.at(-1)).toBe('close')
    }
    expect(a.errors).toEqual([])
  })

  it('destroyed at every stage of its negotiation: one close, never an unhandled rejection', async () => {
    for (const stage of [0, 1, 2, 5, 20]) {
      const a = linkSide(make, true, {}, made)
      const b = linkSide(make, false, {}, made)
      forward(a, b)
      forward(b, a)
      if (stage > 0) await sleep(stage)
      a.link.destroy()
      b.link.destroy()
      await sleep(30)
      for (const s of [a, b]) expect(s.log.filter((e) => e === 'close')).toHaveLength(1)
    }
    await sleep(200) // late rejections of the stack would surface here
  })

  it('refuses bad and out-of-order signals with an error, never a throw (BAD_MESSAGE)', async () => {
    const answerer = linkSide(make, false, {}, made)
    const initiator = linkSide(make, true, {}, made)
    await waitFor(() => initiator.sent.length > 0, 5_000, 'offer')
    const offer = initiator.sent[0] as Extract<LinkSignal, { kind: 'sdp' }>

    // Wrong direction: an answer to the answerer, an offer to the initiator. The links stay up.
    answerer.link.signal({
      kind: 'sdp',
      description: { type: 'answer', sdp: offer.description.sdp },
    })
    initiator.link.signal(offer)
    answerer.link.signal({ kind: 'sdp', description: { type: 'rollback', sdp: '' } }) // ignored
    expect(answerer.errors.map((e) => e.code)).toEqual([ErrorCode.BAD_MESSAGE])
    expect(initiator.errors.map((e) => e.code)).toEqual([ErrorCode.BAD_MESSAGE])
    expect([...answerer.log, ...initiator.log]).not.toContain('close')

    // Garbage SDP: refused by the stack. The link's one negotiation failed: error, then close.
    expect(() =>
      answerer.link.signal({ kind: 'sdp', description: { type: 'offer', sdp: 'garbage' } }),
    ).not.toThrow()
    await waitFor(() => answerer.log.includes('close'), 5_000, 'close after a refused offer')
    expect(answerer.errors.map((e) => e.code)).toEqual([
      ErrorCode.BAD_MESSAGE,
      ErrorCode.BAD_MESSAGE,
    ])
    expect(answerer.log.slice(-2)).toEqual(['error', 'close'])
    initiator.link.destroy()
  })
}

/**
 * A pair opened with its SDP late (`openLinkPair(make, { sdpDelayMs })`): candidates reached each
 * side first, each opened once and sent one description before its candidates, the initiator
 * offered as the DTLS client (M42) and the answerer answered passive, with no error.
 */
export function expectOpenedAhead(a: Side, b: Side): void {
  for (const s of [a, b]) {
    const first = s.received.findIndex((r) => r.kind === 'sdp')
    expect(s.received.slice(0, first).some((r) => r.kind === 'ice')).toBe(true)
    expect(s.log.filter((e) => e === 'open')).toHaveLength(1)
    expect(s.sent.filter((r) => r.kind === 'sdp')).toHaveLength(1)
    // Our description first, then its candidates (held while it was being made).
    expect(s.sent[0]!.kind).toBe('sdp')
  }
  const description = (s: Side) => (s.sent[0] as Extract<LinkSignal, { kind: 'sdp' }>).description
  expect(description(a).type).toBe('offer')
  expect(description(b).type).toBe('answer')
  expect(description(a).sdp).toMatch(/^a=setup:active\r?$/m)
  expect(description(a).sdp).not.toMatch(/a=setup:actpass/)
  expect(description(b).sdp).toMatch(/^a=setup:passive\r?$/m)
  expect([...a.errors, ...b.errors]).toEqual([])
}

/** Binary both ways (one message above 64 KiB), and a string arrives as the string it was. */
export async function expectCarriesData(a: Side, b: Side): Promise<void> {
  a.link.send(bytes(1000, 7))
  b.link.send(bytes(70_000, 3))
  await waitFor(() => a.data.length === 1 && b.data.length === 1, 5_000, 'binary both ways')
  expect(b.data[0]).toEqual(bytes(1000, 7))
  expect(a.data[0]).toEqual(bytes(70_000, 3))
  expect(a.data[0]).toBeInstanceOf(Uint8Array)
  // A text message (the mesh calls it malformed) arrives as the string it was.
  a.link.send('plain text' as unknown as Uint8Array)
  await waitFor(() => b.data.length === 2, 5_000, 'text')
  expect(b.data[1]).toBe('plain text')
}

/**
 * `b` filtered everything it gathered (no candidate trickled, none inside its answer) while the
 * unfiltered `a` trickled its loopback candidate: the filter works, and the stack does gather.
 */
export function expectFilteredOnOneSide(a: Side, b: Side): void {
  for (const s of b.sent) {
    if (s.kind === 'ice') expect(s.candidate).toBeNull()
    else expect(s.description.sdp).not.toMatch(/a=candidate:/)
  }
  const trickled = a.sent.flatMap((s) => (s.kind === 'ice' && s.candidate ? [s.candidate] : []))
  expect(trickled.map((c) => candidateAddress(c.candidate))).toContain('127.0.0.1')
}
