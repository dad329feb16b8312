/**
 * A `PeerLink` straight on node-datachannel's native API (M43): one libdatachannel
 * `PeerConnection` and its one `DataChannel`, with no `RTCPeerConnection` polyfill and no stream
 * layer in between — the shortest path a data-only Node peer (agents, tests, benchmarks) has.
 * Exported from `@kibitz/mesh/node`; it never reaches a browser bundle.
 */
import { Emitter, ErrorCode, KibitzError, type IceCandidate } from '@kibitz/protocol'
import { PeerConnection, type DataChannel } from 'node-datachannel'
import { filterSdpCandidates, type CandidateFilter } from './candidates.js'
import {
  closeQuietly,
  deadLink,
  descriptionRefusal,
  HANDSHAKE_FAILED,
  isMdns,
  linkError,
  linkLifecycle,
  MAX_EARLY_CANDIDATES,
  routeSignal,
} from './link-core.js'
import { offerAsDtlsClient } from './dtls-role.js'
import {
  DATA_CHANNEL_LABEL,
  type LinkSignal,
  type LinkStats,
  type PeerLink,
  type PeerLinkEvents,
  type PeerLinkFactory,
  type PeerLinkOptions,
} from './peer-link.js'
import { DRAIN_THRESHOLD_BYTES } from './sender.js'

export interface NativePeerLinkOptions {
  /** Local address libjuice binds to (`'127.0.0.1'` for loopback tests, as `nodeWrtc`). */
  bindAddress?: string
  /** Keep only the candidates this accepts, in trickled ICE and inside SDP, both directions. */
  candidateFilter?: CandidateFilter
}

/**
 * Closed native connections and channels stay referenced until `nodeWrtcCleanup()`: letting V8
 * collect one whose callbacks are still registered segfaulted node-datachannel 0.33.4 (the
 * benchmark's raw system found it). Each is a small closed wrapper: libdatachannel has already
 * torn its transports down.
 */
const retired: unknown[] = []

/** Forget the retired connections (after `cleanup()`, when nothing native is left). */
export function releaseRetiredNativeLinks(): void {
  retired.length = 0
}

/**
 * libdatachannel builds `turn:user:pass@host` URLs from `RTCIceServer`s, so a TURN REST username
 * (`<expiry>:<user>`) or a base64 credential (`+`, `/`, `=`) must be percent-encoded (TESTING.md).
 */
export function encodeTurnCredentials(
  servers: RTCIceServer[] | undefined,
): RTCIceServer[] | undefined {
  return servers?.map((s) =>
    s.username !== undefined || s.credential !== undefined
      ? {
          ...s,
          ...(typeof s.username === 'string' ? { username: encodeURIComponent(s.username) } : {}),
          ...(typeof s.credential === 'string'
            ? { credential: encodeURIComponent(s.credential) }
            : {}),
        }
      : s,
  )
}

/**
 * libdatachannel's native API takes ICE servers as URLs with TURN credentials inside them
 * (`turn:user:pass@host:port`), encoded as above.
 */
export function nativeIceServers(servers: readonly RTCIceServer[]): string[] {
  return (encodeTurnCredentials([...servers]) ?? []).flatMap((server) =>
    (Array.isArray(server.urls) ? server.urls : [server.urls]).map((url) => {
      if (typeof server.username !== 'string' || typeof server.credential !== 'string') return url
      const at = url.indexOf(':')
      return `${url.slice(0, at)}:${server.username}:${server.credential}@${url.slice(at + 1)}`
    }),
  )
}

let sequence = 0

/** A `PeerLinkFactory` on node-datachannel's native API. */
export function nativePeerLinkFactory(options: NativePeerLinkOptions = {}): PeerLinkFactory {
  return (link) => createNativePeerLink(link, options)
}

/** One libdatachannel `PeerConnection` behind the `PeerLink` interface (M43). */
export function createNativePeerLink(
  link: PeerLinkOptions,
  options: NativePeerLinkOptions = {},
): PeerLink {
  const { initiator } = link
  const keep = options.candidateFilter
  const filterSdp = (sdp: string) => (keep ? filterSdpCandidates(sdp, keep) : sdp)
  const events = new Emitter<PeerLinkEvents>()
  const error = linkError

  let pc: PeerConnection
  try {
    pc = new PeerConnection(`kibitz-${++sequence}`, {
      iceServers: nativeIceServers(link.iceServers),
      iceTransportPolicy: link.iceTransportPolicy === 'relay' ? 'relay' : 'all',
      ...(options.bindAddress ? { bindAddress: options.bindAddress } : {}),
    })
  } catch (cause) {
    return deadLink(initiator, error(ErrorCode.INTERNAL, 'link failed: no PeerConnection', cause))
  }
  retired.push(pc)

  const { live, report, failed, ended, destroy } = linkLifecycle(events, teardown)
  let connected = false
  let channel: DataChannel | null = null
  /** Our description went out; candidates gathered before it wait in `outbox`. */
  let described = false
  const outbox: LinkSignal[] = []
  /** The one remote description is applied; remote candidates before it wait in `early`. */
  let remoteApplied = false
  let remoteSeen = false
  const early: IceCandidate[] = []
  let earlyOverflow = false

  const out = (signal: LinkSignal): void => {
    if (!live()) return
    if (described) events.emit('signal', { signal })
    else outbox.push(signal)
  }

  // ---------------------------------------------------------------- data channel

  function takeChannel(dc: DataChannel): void {
    channel = dc
    retired.push(dc)
    dc.setBufferedAmountLowThreshold(DRAIN_THRESHOLD_BYTES)
    dc.onOpen(() => {
      if (!live() || connected) return
      connected = true
      events.emit('open', {})
    })
    dc.onMessage((msg) => {
      if (!live()) return
      if (typeof msg === 'string') events.emit('data', { data: msg })
      else if (msg instanceof ArrayBuffer) events.emit('data', { data: new Uint8Array(msg) })
      else
        events.emit('data', {
          data: new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength),
        })
    })
    dc.onBufferedAmountLow(() => {
      // Posted from libdatachannel's thread: later sends may have refilled the channel since the
      // crossing. A stale one is dropped; the next crossing fires again.
      if (live() && connected && dc.bufferedAmount() <= DRAIN_THRESHOLD_BYTES) {
        events.emit('drain', {})
      }
    })
    dc.onClosed(() => ended())
    dc.onError((message) =>
      failed(error(ErrorCode.INTERNAL, `link failed: data channel ${String(message)}`)),
    )
    if (dc.isOpen() && !connected) {
      connected = true
      queueMicrotask(() => {
        if (live()) events.emit('open', {})
      })
    }
  }

  // ---------------------------------------------------------------- connection

  pc.onLocalDescription((sdp, type) => {
    if (!live() || described || (type !== 'offer' && type !== 'answer')) return
    // The offer on the wire makes us the DTLS client (M42); our own description stays actpass.
    const wire = filterSdp(type === 'offer' ? offerAsDtlsClient(sdp) : sdp)
    described = true
    events.emit('signal', { signal: { kind: 'sdp', description: { type, sdp: wire } } })
    for (const signal of outbox.splice(0)) {
      if (!live()) return
      events.emit('signal', { signal })
    }
  })
  pc.onLocalCandidate((candidate, mid) => {
    if (!candidate || (keep && !keep(candidate))) return
    out({ kind: 'ice', candidate: { candidate, sdpMid: mid || null, sdpMLineIndex: null } })
  })
  pc.onGatheringStateChange((state) => {
    if (state === 'complete') out({ kind: 'ice', candidate: null })
  })
  /** ICE found a path: a failure after that, before the channel opened, is the handshake's. */
  let iceConnected = false
  pc.onIceStateChange((state) => {
    if (state === 'connected' || state === 'completed') iceConnected = true
  })
  pc.onStateChange((state) => {
    if (state === 'failed')
      failed(
        error(
          ErrorCode.INTERNAL,
          iceConnected && !connected ? HANDSHAKE_FAILED : 'link failed: connection failed',
        ),
      )
    // A backstop one task later: the channel's own close normally ends the link first.
    else if (state === 'closed') setTimeout(ended, 0)
    // `disconnected` may recover; the mesh has its own timers (M14).
  })
  if (initiator) {
    try {
      // Creating the channel starts the one negotiation: libdatachannel makes the offer itself.
      takeChannel(pc.createDataChannel(DATA_CHANNEL_LABEL, {}))
    } catch (cause) {
      const err = error(ErrorCode.INTERNAL, 'link failed: no data channel', cause)
      queueMicrotask(() => failed(err))
    }
  } else
    pc.onDataChannel((dc) => {
      // Exactly one channel, ours: anything else the remote opens is ignored.
      if (live() && !channel && dc.getLabel() === DATA_CHANNEL_LABEL) takeChannel(dc)
      else retired.push(dc)
    })
  if (link.media) {
    const err = error(
      ErrorCode.NOT_CONFIGURED,
      'no media lanes on this link',
      new Error('node-datachannel native links carry data only'),
    )
    queueMicrotask(() => report(err))
  }

  // ---------------------------------------------------------------- signaling in

  function acceptDescription(type: string, sdp: string): void {
    const refusal = descriptionRefusal(type, { initiator, remoteSeen, described })
    if (refusal) return report(refusal)
    remoteSeen = true
    try {
      pc.setRemoteDescription(filterSdp(sdp), type as 'offer' | 'answer')
    } catch (cause) {
      // The link's one negotiation failed: it can never open, so the mesh rebuilds now (M14).
      return failed(error(ErrorCode.BAD_MESSAGE, `remote ${type} refused`, cause))
    }
    remoteApplied = true
    for (const candidate of early.splice(0)) addCandidate(candidate)
  }

  function addCandidate(candidate: IceCandidate): void {
    if (!remoteApplied) {
      // libdatachannel refuses candidates before the remote description.
      if (early.length < MAX_EARLY_CANDIDATES) early.push(candidate)
      else if (!earlyOverflow) {
        earlyOverflow = true
        report(error(ErrorCode.TOO_LARGE, 'too many ICE candidates before the description'))
      }
      return
    }
    try {
      pc.addRemoteCandidate(candidate.candidate, candidate.sdpMid ?? '0')
    } catch (cause) {
      // One refused candidate is not a dead link; mDNS names are expected to be refused here.
      if (isMdns(candidate.candidate) || !live()) return
      if (pc.state() === 'failed' || pc.state() === 'closed') return
      report(error(ErrorCode.BAD_MESSAGE, 'ICE candidate refused', cause))
    }
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
      return connected && channel ? channel.bufferedAmount() : 0
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
      // A string (never from the mesh; tests send one to exercise the malformed path) goes as text.
      if (typeof frame === 'string') channel.sendMessage(frame)
      else channel.sendMessageBinary(frame)
    },
    on: (event, cb) => events.on(event, cb),
    getStats(): Promise<LinkStats | null> {
      if (!live()) return Promise.resolve(null)
      try {
        const pair = pc.getSelectedCandidatePair()
        if (!pair) return Promise.resolve(null)
        const type = (t: string | undefined) => (t ? t.toLowerCase() : null)
        const local = type(pair.local.type)
        const remote = type(pair.remote.type)
        const rtt = pc.rtt()
        return Promise.resolve({
          path: local === 'relay' || remote === 'relay' ? 'relay' : 'direct',
          localCandidateType: local,
          remoteCandidateType: remote,
          rttMs: rtt >= 0 ? rtt : null,
          loss: null,
          media: null,
        })
      } catch {
        return Promise.resolve(null)
      }
    },
    destroy,
  }
}
