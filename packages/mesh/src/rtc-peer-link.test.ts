import { ErrorCode } from '@kibitz/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import { nodeWrtc, nodeWrtcCleanup } from './node-wrtc.js'
import {
  DATA_CHANNEL_LABEL,
  type LinkSignal,
  type PeerLink,
  type PeerLinkOptions,
  type WebRtcImplementation,
} from './peer-link.js'
import { createRtcPeerLink, type RtcPeerLinkOptions } from './rtc-peer-link.js'
import {
  expectCarriesData,
  expectFilteredOnOneSide,
  expectOpenedAhead,
  linkContract,
} from './testing/link-contract.js'
import { bytes, linkSide, openLinkPair, openSides, type Side } from './testing/link-pair.js'
import { waitFor } from './testing/wait.js'

// The direct link (M39) on real WebRTC (node-datachannel, 127.0.0.1): two links back to back,
// signals JSON-copied and forwarded with delays we choose.
const CONNECT_MS = 10_000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const everyLink: PeerLink[] = []

afterAll(async () => {
  for (const link of everyLink) link.destroy()
  await sleep(50)
  nodeWrtcCleanup()
})

/**
 * node-datachannel with every connection and remote input recorded; with `extraChannel`, every
 * connection first opens a data channel of that label behind the link's back.
 */
function spyWrtc(extraChannel?: string) {
  const base = nodeWrtc({ bindAddress: '127.0.0.1' })
  const Base = base.RTCPeerConnection as typeof RTCPeerConnection
  const pcs: RTCPeerConnection[] = []
  const extras: RTCDataChannel[] = []
  const remoteSdp: string[] = []
  const remoteCandidates: string[] = []
  class Spy extends Base {
    constructor(config?: RTCConfiguration) {
      super(config)
      pcs.push(this)
      if (extraChannel) extras.push(this.createDataChannel(extraChannel))
    }
    override setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void> {
      remoteSdp.push(d.sdp ?? '')
      return super.setRemoteDescription(d)
    }
    override addIceCandidate(c?: RTCIceCandidateInit | null): Promise<void> {
      remoteCandidates.push(c?.candidate ?? '')
      return super.addIceCandidate(c ?? undefined)
    }
  }
  const wrtc: WebRtcImplementation = { ...base, RTCPeerConnection: Spy }
  return { wrtc, pcs, extras, remoteSdp, remoteCandidates }
}

function side(
  initiator: boolean,
  options: RtcPeerLinkOptions,
  extra: Partial<PeerLinkOptions> = {},
): Side {
  return linkSide((o) => createRtcPeerLink(o, options), initiator, extra, everyLink)
}

const openPair = (options: RtcPeerLinkOptions, sdpDelayMs = 0): Promise<[Side, Side]> =>
  openLinkPair((o) => createRtcPeerLink(o, options), {
    sdpDelayMs,
    connectMs: CONNECT_MS,
    made: everyLink,
  })

describe('createRtcPeerLink on node-datachannel (M39)', () => {
  it('opens both ways even when every candidate beats its description; binary both ways; a string stays a string', async () => {
    const spy = spyWrtc()
    // SDP 150 ms late, ICE at once: candidates reach each side before the description they need.
    const [a, b] = await openPair({ wrtc: spy.wrtc }, 150)
    expectOpenedAhead(a, b)
    // The offerer's own connection kept its actpass description (M42: only the wire copy says so).
    expect(spy.pcs.at(-2)!.localDescription!.sdp).toMatch(/^a=setup:actpass\r?$/m)
    // No early candidate was refused ("without ICE transport"): all were added after the SDP.
    expect(spy.remoteCandidates.length).toBeGreaterThan(0)
    await expectCarriesData(a, b)

    const stats = await a.link.getStats!()
    expect(stats?.path).toBe('direct')
    expect(stats?.media).toBeNull()
    for (const s of [a, b]) s.link.destroy()
  })

  linkContract(
    (o) => createRtcPeerLink(o, { wrtc: nodeWrtc({ bindAddress: '127.0.0.1' }) }),
    everyLink,
  )

  it('candidateFilter keeps candidates out both ways, trickled and inside SDP (M12)', async () => {
    const spy = spyWrtc()
    const a = side(true, { wrtc: nodeWrtc({ bindAddress: '127.0.0.1' }) })
    const b = side(false, { wrtc: spy.wrtc, candidateFilter: () => false })
    // The offer gains a candidate line in transit; the filter must strip it before the stack.
    const fake = 'a=candidate:1 1 UDP 2122260223 10.9.8.7 9999 typ host'
    a.link.on('signal', ({ signal }) => {
      const copy = JSON.parse(JSON.stringify(signal)) as LinkSignal
      if (copy.kind === 'sdp')
        copy.description.sdp = `${copy.description.sdp.trimEnd()}\r\n${fake}\r\n`
      setTimeout(() => b.link.signal(copy), 0)
    })
    await waitFor(() => a.sent.some((s) => s.kind === 'ice' && s.candidate), 5_000, 'a trickles')
    await waitFor(() => b.sent.some((s) => s.kind === 'sdp'), 5_000, 'b answers')
    await sleep(300) // b gathers too
    expect(spy.remoteSdp).toHaveLength(1)
    expect(spy.remoteSdp[0]).not.toMatch(/a=candidate:/)
    expect(spy.remoteCandidates).toEqual([])
    expectFilteredOnOneSide(a, b)
    a.link.destroy()
    b.link.destroy()
  })

  it('reports a renegotiation attempt and never makes a second offer (M34)', async () => {
    const spy = spyWrtc()
    const [a, b] = await openPair({ wrtc: spy.wrtc })
    const offer = a.sent.find((s) => s.kind === 'sdp')!
    // The stack asks to renegotiate (e.g. a transceiver added behind the link's back)…
    spy.pcs.at(-2)!.dispatchEvent(new Event('negotiationneeded')) // the offerer of the open pair
    // …and the remote replays its offer.
    b.link.signal(offer)
    await sleep(200)
    expect(a.errors.map((e) => [e.code, e.message])).toEqual([
      [ErrorCode.INTERNAL, 'renegotiation requested: lanes are negotiated once (M34)'],
    ])
    expect(b.errors.map((e) => e.code)).toEqual([ErrorCode.BAD_MESSAGE])
    expect(a.sent.filter((s) => s.kind === 'sdp')).toHaveLength(1)
    expect(b.sent.filter((s) => s.kind === 'sdp')).toHaveLength(1)
    // Both links are still up.
    a.link.send(bytes(10, 1))
    await waitFor(() => b.data.length === 1, 5_000, 'still open')
    for (const s of [a, b]) s.link.destroy()
  })

  it('uses only its own channel, and asks node-datachannel for media lanes in vain (M3, M33)', async () => {
    // The initiator's stack opens an 'other' channel first: the answerer must not take it.
    const spy = spyWrtc('other')
    const media = { tracks: { audio: null, video: null, share: null, shareAudio: null } }
    const [a, b] = await openSides(
      () => [
        side(true, { wrtc: spy.wrtc }, { media }),
        side(false, { wrtc: nodeWrtc({ bindAddress: '127.0.0.1' }) }, { media }),
      ],
      { connectMs: CONNECT_MS },
    )
    expect(a.errors.map((e) => e.code)).toEqual([ErrorCode.NOT_CONFIGURED])
    expect(a.link.media).toBeUndefined()
    expect(a.sent[0]!.kind === 'sdp' && a.sent[0]!.description.sdp).toMatch(/m=application/)

    const other = spy.extras.at(-1)! // the open pair's
    expect(other.label).not.toBe(DATA_CHANNEL_LABEL)
    await waitFor(() => other.readyState === 'open', 5_000, 'the other channel opens')
    other.send(new Uint8Array([6, 6, 6]))
    a.link.send(bytes(3, 1))
    await waitFor(() => b.data.length >= 1, 5_000, 'data on the link channel')
    await sleep(100)
    expect(b.data).toEqual([bytes(3, 1)])
    for (const s of [a, b]) s.link.destroy()
  })
})
