import { Emitter, ErrorCode, KibitzError, type IceCandidate } from '@kibitz/protocol'
import {
  closeQuietly,
  deadLink,
  descriptionRefusal,
  isMdns,
  linkError,
  linkLifecycle,
  MAX_EARLY_CANDIDATES,
  routeSignal,
} from './link-core.js'
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
 * The default link (M3, M39): one `RTCPeerConnection` of the injected implementation and its one
 * data channel, nothing in between. No stream layer and no Node shims, so browser bundles stay
 * small and every message goes straight from the channel to the mesh.
 */

export interface RtcPeerLinkOptions {
  /** The WebRTC implementation (browser globals, `nodeWrtc()`, `@roamhq/wrtc`). */
  wrtc: WebRtcImplementation
  /** Keep only the candidates this accepts, in trickled ICE and inside SDP, both directions. */
  candidateFilter?: CandidateFilter
}

export { DRAIN_THRESHOLD_BYTES }

export { MAX_EARLY_CANDIDATES }

/** A `PeerLinkFactory` straight on the given WebRTC implementation's `RTCPeerConnection`. */
export function rtcPeerLinkFactory(options: RtcPeerLinkOptions): PeerLinkFactory {
  return (link) => createRtcPeerLink(link, options)
}

/** Builds a standard object with the implementation's constructor when it has one. */
function make<T>(ctor: unknown, init: T): T {
  return typeof ctor === 'function' ? (new (ctor as new (init: T) => T)(init) as T) : init
}

/** Call `fn` now; a synchronous throw becomes a rejection (some stacks throw, some reject). */
function attempt<T>(fn: () => T | Promise<T>): Promise<T> {
  return new Promise<T>((resolve) => resolve(fn()))
}

/** One `RTCPeerConnection` behind the `PeerLink` interface. */
export function createRtcPeerLink(link: PeerLinkOptions, options: RtcPeerLinkOptions): PeerLink {
  const { initiator } = link
  const { wrtc } = options
  const keep = options.candidateFilter
  const filterSdp = (sdp: string) => (keep ? filterSdpCandidates(sdp, keep) : sdp)

  let pc: RTCPeerConnection
  try {
    const Ctor = wrtc.RTCPeerConnection as typeof RTCPeerConnection
    pc = new Ctor({
      iceServers: link.iceServers,
      iceTransportPolicy: link.iceTransportPolicy,
      // One transport for the data channel and all four lanes from the start: ICE gathers and
      // trickles one set of candidates, not one per media kind until the answer bundles them.
      bundlePolicy: 'max-bundle',
    })
  } catch (cause) {
    return deadLink(
      initiator,
      new KibitzError(ErrorCode.INTERNAL, 'link failed: no RTCPeerConnection', { cause }),
    )
  }

  const events = new Emitter<PeerLinkEvents>()
  const { live, report, failed, ended, destroy } = linkLifecycle(events, teardown)
  let connected = false
  let channel: RTCDataChannel | null = null
  /** Our description went out; local candidates gathered before it wait in `outbox`. */
  let described = false
  const outbox: LinkSignal[] = []
  /** The one remote description: not yet, being applied (candidates still wait), applied. */
  let remote: 'none' | 'applying' | 'applied' = 'none'
  const early: IceCandidate[] = []
  let earlyOverflow = false
  /** The one offer/answer exchange is done: a `negotiationneeded` from now on is a bug (M34). */
  let negotiated = false

  /** The stack still works on this connection (a failed or closed one refuses everything). */
  const usable = () =>
    live() &&
    pc.signalingState !== 'closed' &&
    pc.connectionState !== 'failed' &&
    pc.connectionState !== 'closed'
  const error = linkError

  // Media lanes (M33) before the data channel and before any offer or answer.
  const media = link.media
    ? setUpLinkMedia(pc as unknown as MediaPeerConnection, initiator, link.media.tracks, {
        track: (lane, track) => {
          if (live()) events.emit('track', { lane, track })
        },
        error: report,
      })
    : undefined

  // ---------------------------------------------------------------- data channel

  function takeChannel(dc: RTCDataChannel): void {
    channel = dc
    dc.binaryType = 'arraybuffer'
    dc.bufferedAmountLowThreshold = DRAIN_THRESHOLD_BYTES
    dc.onopen = opened
    dc.onmessage = (event: MessageEvent) => deliver(event.data)
    dc.onbufferedamountlow = () => {
      // A crossing reported from another thread can arrive after later sends refilled the
      // channel (node-datachannel); a stale one is dropped, the next crossing fires again.
      if (live() && connected && dc.bufferedAmount <= DRAIN_THRESHOLD_BYTES) {
        events.emit('drain', {})
      }
    }
    dc.onclose = ended
    dc.onerror = (event: Event) => {
      const cause = (event as { error?: unknown }).error ?? event
      const detail = cause instanceof Error ? cause.message : 'error'
      failed(error(ErrorCode.INTERNAL, `link failed: data channel ${detail}`, cause))
    }
    // The answerer may be handed a channel that is already open.
    if (dc.readyState === 'open') opened()
  }

  function opened(): void {
    if (!live() || connected) return
    connected = true
    events.emit('open', {})
  }

  function deliver(data: unknown): void {
    if (!live()) return
    if (typeof data === 'string') events.emit('data', { data })
    else if (data instanceof ArrayBuffer) events.emit('data', { data: new Uint8Array(data) })
    else if (ArrayBuffer.isView(data))
      events.emit('data', { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) })
  }

  if (initiator) {
    try {
      takeChannel(pc.createDataChannel(DATA_CHANNEL_LABEL, { ordered: true }))
    } catch (cause) {
      const err = error(ErrorCode.INTERNAL, 'link failed: no data channel', cause)
      queueMicrotask(() => failed(err)) // once the caller has subscribed
    }
  } else
    pc.ondatachannel = (event: RTCDataChannelEvent) => {
      // Exactly one channel, ours: anything else the remote opens is ignored.
      if (live() && !channel && event.channel.label === DATA_CHANNEL_LABEL)
        takeChannel(event.channel)
    }

  // ---------------------------------------------------------------- connection state

  /**
   * `closed` is a backstop, one task later: browsers never report it for a remote close, and
   * libdatachannel reports it a tick before the data channel's own `close` — which normally ends
   * the link first, so a remote close does not overtake signaling already queued (a `bye`).
   */
  const closedState = () => void setTimeout(ended, 0)
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === 'failed')
      failed(error(ErrorCode.INTERNAL, 'link failed: connection failed'))
    else if (pc.connectionState === 'closed') closedState()
    // `disconnected` may recover; the mesh has its own timers (M14).
  }
  pc.oniceconnectionstatechange = () => {
    if (pc.iceConnectionState === 'failed')
      failed(error(ErrorCode.INTERNAL, 'link failed: ICE failed'))
    else if (pc.iceConnectionState === 'closed') closedState()
  }
  pc.onnegotiationneeded = () => {
    // The stack's own first request (data channel, transceivers) is answered by our one offer.
    if (!negotiated) return
    report(error(ErrorCode.INTERNAL, 'renegotiation requested: lanes are negotiated once (M34)'))
  }

  // ---------------------------------------------------------------- signaling out

  function out(signal: LinkSignal): void {
    if (!live()) return
    if (described) events.emit('signal', { signal })
    else outbox.push(signal)
  }

  pc.onicecandidate = (event: RTCPeerConnectionIceEvent) => {
    const c = event.candidate
    if (!c) return out({ kind: 'ice', candidate: null }) // end-of-candidates
    if (!c.candidate || (keep && !keep(c.candidate))) return // '' ends one section only
    out({
      kind: 'ice',
      candidate: {
        candidate: c.candidate,
        sdpMid: c.sdpMid ?? null,
        sdpMLineIndex: c.sdpMLineIndex ?? null,
      },
    })
  }

  /** Apply and send our one description, then the candidates that were gathered before it. */
  async function describe(description: RTCSessionDescriptionInit): Promise<void> {
    if (!live()) return
    await pc.setLocalDescription(description)
    if (!live()) return
    // Send what the stack applied, not what createOffer/createAnswer returned: libdatachannel
    // (node-datachannel) regenerates the description on apply, and an answer carrying the stale
    // one made the other side's DTLS check fail and stall ~1 s on most connects (M39).
    const { type, sdp } = (pc.localDescription as RTCSessionDescriptionInit | null) ?? description
    if ((type !== 'offer' && type !== 'answer') || typeof sdp !== 'string')
      throw new Error(`the stack made a ${String(type)} without SDP`)
    if (type === 'answer') negotiated = true
    described = true
    // The offer on the wire makes us the DTLS client (M42); our own description stays actpass.
    const wire = filterSdp(type === 'offer' ? offerAsDtlsClient(sdp) : sdp)
    events.emit('signal', { signal: { kind: 'sdp', description: { type, sdp: wire } } })
    for (const signal of outbox.splice(0)) {
      if (!live()) return
      events.emit('signal', { signal })
    }
    if (type === 'answer' && live()) media?.answerSent()
  }

  if (initiator) {
    // Exactly one offer per link (M34), made as soon as the channel and lanes exist.
    void attempt(() => pc.createOffer())
      .then(describe)
      .catch((cause: unknown) =>
        failed(error(ErrorCode.INTERNAL, 'link failed: could not make the offer', cause)),
      )
  }

  // ---------------------------------------------------------------- signaling in

  function acceptDescription(type: string, sdp: string): void {
    const refusal = descriptionRefusal(type, {
      initiator,
      remoteSeen: remote !== 'none',
      described,
    })
    if (refusal) return report(refusal)
    remote = 'applying'
    void applyRemote({ type, sdp: filterSdp(sdp) } as RTCSessionDescriptionInit)
  }

  async function applyRemote(description: RTCSessionDescriptionInit): Promise<void> {
    try {
      // Through the property: media lanes hook it (M33: the answerer's lanes before its answer).
      await attempt(() => pc.setRemoteDescription(make(wrtc.RTCSessionDescription, description)))
    } catch (cause) {
      // The link's one negotiation failed: it can never open. Closing now lets the mesh rebuild
      // (M14) at once instead of after its connect timeout.
      return failed(error(ErrorCode.BAD_MESSAGE, `remote ${description.type} refused`, cause))
    }
    if (!live()) return
    if (initiator) {
      remote = 'applied'
      negotiated = true
      for (const candidate of early.splice(0)) addCandidate(candidate)
      return
    }
    try {
      await describe(await attempt(() => pc.createAnswer()))
    } catch (cause) {
      return failed(error(ErrorCode.INTERNAL, 'link failed: could not make the answer', cause))
    }
    // The answerer's remote candidates wait until its answer is out: each `addIceCandidate` sits
    // on the connection's chain of operations, ahead of `createAnswer`, and ICE cannot check a
    // pair before the answer has started gathering anyway.
    if (!live()) return
    remote = 'applied'
    for (const candidate of early.splice(0)) addCandidate(candidate)
  }

  function addCandidate(candidate: IceCandidate): void {
    if (remote !== 'applied') {
      // node-datachannel refuses candidates before the remote description; every stack is fine
      // with them after it.
      if (early.length < MAX_EARLY_CANDIDATES) early.push(candidate)
      else if (!earlyOverflow) {
        earlyOverflow = true
        report(error(ErrorCode.TOO_LARGE, 'too many ICE candidates before the description'))
      }
      return
    }
    const init: RTCIceCandidateInit = {
      candidate: candidate.candidate,
      sdpMid: candidate.sdpMid ?? null,
      sdpMLineIndex: candidate.sdpMLineIndex ?? null,
    }
    attempt(() => pc.addIceCandidate(make(wrtc.RTCIceCandidate, init))).catch((cause: unknown) => {
      // One refused candidate is not a dead link: ICE goes on with the others. Not reported:
      // mDNS names (stacks without mDNS refuse them) and refusals by a connection that already
      // failed or closed (its own event ends the link).
      if (isMdns(candidate.candidate) || !usable()) return
      report(error(ErrorCode.BAD_MESSAGE, 'ICE candidate refused', cause))
    })
  }

  // ---------------------------------------------------------------- close

  function teardown(): void {
    connected = false
    outbox.length = 0
    early.length = 0
    closeQuietly(channel, pc)
  }

  return {
    initiator,
    get connected() {
      return connected
    },
    get bufferedAmount() {
      return connected && channel ? channel.bufferedAmount : 0
    },
    signal(signal) {
      if (live())
        routeSignal(signal, keep, {
          description: acceptDescription,
          candidate: addCandidate,
          report,
        })
    },
    send(frame) {
      if (!connected || !channel) throw new KibitzError(ErrorCode.INTERNAL, 'link is not open')
      channel.send(frame as Uint8Array<ArrayBuffer>)
    },
    on: (event, cb) => events.on(event, cb),
    async getStats(): Promise<LinkStats | null> {
      if (!live()) return null
      try {
        return readLinkStats(await pc.getStats(), media?.laneOf)
      } catch {
        return null
      }
    },
    ...(media ? { media } : {}),
    destroy,
  }
}
