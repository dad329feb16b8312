import { Emitter, ErrorCode, KibitzError } from '@kibitz/protocol'
import SimplePeer from 'simple-peer'
import { filterSdpCandidates, type CandidateFilter } from './candidates.js'
import { offerAsDtlsClient } from './dtls-role.js'
import { setUpLinkMedia, type MediaPeerConnection } from './link-media.js'
import { readLinkStats } from './link-stats.js'
import {
  DATA_CHANNEL_LABEL,
  type LinkSignal,
  type LinkStats,
  type PeerLink,
  type PeerLinkEvents,
  type PeerLinkFactory,
  type PeerLinkOptions,
  type WebRtcImplementation,
} from './peer-link.js'
import { DRAIN_THRESHOLD_BYTES } from './sender.js'

/**
 * `@kibitz/mesh/simple-peer`: the mesh's first link, over simple-peer 9. No longer the default
 * (M39: simple-peer pulls readable-stream, buffer and Node shims into browser bundles, and its
 * stream layer costs latency); kept for benchmarks and tests that compare against it. Pass
 * `createLink: simplePeerLinkFactory({ wrtc })` to `createMesh` to use it.
 */

export interface SimplePeerLinkOptions {
  /** The WebRTC implementation (browser globals, `nodeWrtc()`, `@roamhq/wrtc`). */
  wrtc: WebRtcImplementation
  /** Keep only the candidates this accepts, in trickled ICE and inside SDP, both directions. */
  candidateFilter?: CandidateFilter
  /**
   * simple-peer's end-of-candidates fallback timer. It is never cleared on destroy and
   * node-datachannel never signals end-of-candidates, so a long value keeps processes alive.
   */
  iceCompleteTimeoutMs?: number
}

type SimplePeerSignal = {
  type?: string
  sdp?: string
  candidate?: { candidate?: string; sdpMid?: string | null; sdpMLineIndex?: number | null }
}

/** A `PeerLinkFactory` over simple-peer with the given WebRTC implementation. */
export function simplePeerLinkFactory(options: SimplePeerLinkOptions): PeerLinkFactory {
  return (link) => createSimplePeerLink(link, options)
}

/** One simple-peer connection behind the `PeerLink` interface. */
export function createSimplePeerLink(
  link: PeerLinkOptions,
  options: SimplePeerLinkOptions,
): PeerLink {
  const events = new Emitter<PeerLinkEvents>()
  const keep = options.candidateFilter
  let connected = false
  let closed = false
  let destroyRequested = false

  const peer = new SimplePeer({
    initiator: link.initiator,
    trickle: true,
    objectMode: true,
    channelName: DATA_CHANNEL_LABEL,
    channelConfig: { ordered: true },
    config: { iceServers: link.iceServers, iceTransportPolicy: link.iceTransportPolicy ?? 'all' },
    iceCompleteTimeout: options.iceCompleteTimeoutMs ?? 500,
    wrtc: options.wrtc as SimplePeer.Options['wrtc'],
  })

  const pc = (
    peer as unknown as { _pc?: MediaPeerConnection & { getStats?: () => Promise<unknown> } }
  )._pc

  // Media lanes (M33) on simple-peer's connection, before its first offer or answer.
  const media =
    link.media && pc
      ? setUpLinkMedia(pc, link.initiator, link.media.tracks, {
          track: (lane, track) => {
            if (!closed) events.emit('track', { lane, track })
          },
          error: (error) => {
            if (!closed) events.emit('error', { error })
          },
        })
      : undefined

  peer.on('signal', (data: SimplePeerSignal) => {
    if (closed) return
    if ((data as { renegotiate?: unknown }).renegotiate || data.type === 'transceiverRequest') {
      // Lanes are negotiated once, up front (M34): a renegotiation request is a bug, made loud.
      events.emit('error', {
        error: new KibitzError(ErrorCode.INTERNAL, `unexpected simple-peer ${data.type} request`),
      })
      return
    }
    const out = fromSimplePeer(data, keep)
    if (out) events.emit('signal', { signal: out })
    if (data.type === 'answer' && !closed) media?.answerSent()
  })
  peer.on('connect', () => {
    if (closed) return
    connected = true
    takeChannel()
    events.emit('open', {})
  })
  const deliver = (data: unknown): void => {
    if (closed) return
    if (typeof data === 'string') events.emit('data', { data })
    else if (data instanceof Uint8Array) events.emit('data', { data })
    else if (data instanceof ArrayBuffer) events.emit('data', { data: new Uint8Array(data) })
  }
  peer.on('data', deliver)

  /**
   * The data path goes straight to the RTCDataChannel: simple-peer's receive path pushes every
   * message through a readable stream (≈ 30 µs a message here), and its `bufferedamountlow`
   * serves only its own `write()`. Signaling, ICE and the connection stay simple-peer's.
   */
  function takeChannel(): void {
    const channel = (peer as unknown as { _channel?: RTCDataChannel | null })._channel
    if (!channel || typeof channel.addEventListener !== 'function') return
    channel.binaryType = 'arraybuffer'
    // Drain at the send queue's low-water mark, as the direct link does. simple-peer set 64 KiB
    // for its stream `write()`, which would now wait forever; this link never calls it (its
    // simple-peer is private). Refilling at 64 KiB left the channel idle: 0.77–0.84× raw on one
    // 50 MB `sendTo` against 0.91× (bench mesh).
    channel.bufferedAmountLowThreshold = DRAIN_THRESHOLD_BYTES
    channel.onmessage = (event: MessageEvent) => deliver(event.data)
    channel.addEventListener('bufferedamountlow', () => {
      // On node-datachannel the crossing can arrive after later sends refilled the channel.
      if (!closed && channel.bufferedAmount <= DRAIN_THRESHOLD_BYTES) events.emit('drain', {})
    })
  }
  peer.on('error', (err: Error & { code?: string }) => {
    if (closed) return
    events.emit('error', {
      error: new KibitzError(ErrorCode.INTERNAL, `link failed: ${err.code ?? err.message}`, {
        cause: err,
      }),
    })
  })
  peer.on('close', () => {
    if (closed) return
    closed = true
    connected = false
    events.emit('close', {})
    events.clear()
  })

  return {
    initiator: link.initiator,
    get connected() {
      return connected
    },
    get bufferedAmount() {
      return closed ? 0 : peer.bufferSize
    },
    signal(signal: LinkSignal) {
      if (closed || peer.destroyed) return
      const data = toSimplePeer(signal, keep)
      if (!data) return
      try {
        peer.signal(data as SimplePeer.SignalData)
      } catch (error) {
        events.emit('error', {
          error: new KibitzError(ErrorCode.BAD_MESSAGE, 'signal refused by the link', {
            cause: error,
          }),
        })
      }
    },
    send(frame) {
      if (!connected || closed) throw new KibitzError(ErrorCode.INTERNAL, 'link is not open')
      peer.send(frame)
    },
    on: (event, cb) => events.on(event, cb),
    async getStats(): Promise<LinkStats | null> {
      if (closed || !pc || typeof pc.getStats !== 'function') return null
      try {
        return readLinkStats(await pc.getStats(), media?.laneOf)
      } catch {
        return null
      }
    },
    ...(media ? { media } : {}),
    destroy() {
      if (peer.destroyed || destroyRequested) return
      destroyRequested = true
      peer.destroy()
    },
  }
}

function fromSimplePeer(data: SimplePeerSignal, keep?: CandidateFilter): LinkSignal | null {
  if (data.type === 'candidate' && data.candidate && typeof data.candidate.candidate === 'string') {
    if (keep && !keep(data.candidate.candidate)) return null
    return {
      kind: 'ice',
      candidate: {
        candidate: data.candidate.candidate,
        sdpMid: data.candidate.sdpMid ?? null,
        sdpMLineIndex: data.candidate.sdpMLineIndex ?? null,
      },
    }
  }
  if (
    (data.type === 'offer' || data.type === 'answer' || data.type === 'pranswer') &&
    typeof data.sdp === 'string'
  ) {
    // The offer on the wire makes us the DTLS client (M42); our own description stays actpass.
    const sdp = data.type === 'offer' ? offerAsDtlsClient(data.sdp) : data.sdp
    return {
      kind: 'sdp',
      description: { type: data.type, sdp: keep ? filterSdpCandidates(sdp, keep) : sdp },
    }
  }
  return null
}

function toSimplePeer(signal: LinkSignal, keep?: CandidateFilter): SimplePeerSignal | null {
  if (signal.kind === 'sdp') {
    const { type, sdp } = signal.description
    if (type === 'rollback') return null
    return { type, sdp: keep ? filterSdpCandidates(sdp, keep) : sdp }
  }
  // simple-peer has no end-of-candidates input; the remote's null candidate is informational.
  if (!signal.candidate) return null
  if (keep && !keep(signal.candidate.candidate)) return null
  return { type: 'candidate', candidate: signal.candidate }
}
