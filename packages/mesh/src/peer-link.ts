import type { CandidateFilter } from './candidates.js'
import type { IceCandidate, KibitzError, MediaLane, SessionDescription } from '@kibitz/protocol'

/**
 * One WebRTC connection to one remote peer, reduced to what the mesh needs (M3). The mesh owns
 * pairing, generations and framing; a `PeerLink` only moves signals and opaque binary frames.
 * Implementations: `createRtcPeerLink` (the default: straight on the injected `RTCPeerConnection`),
 * `createNativePeerLink` (node-datachannel's native API, at `@kibitz/mesh/node`)
 * and `createSimplePeerLink` (simple-peer, at `@kibitz/mesh/simple-peer`, for comparison);
 * tests may supply their own.
 */

/** The data channel label every Kibitz link uses (both implementations). */
export const DATA_CHANNEL_LABEL = 'kibitz'

export type LinkSignal =
  | { kind: 'sdp'; description: SessionDescription }
  /** `candidate: null` is end-of-candidates. */
  | { kind: 'ice'; candidate: IceCandidate | null }

export interface PeerLinkEvents {
  /** A signal to deliver to the remote peer. */
  signal: { signal: LinkSignal }
  /** The data channel is open: `send` works from now on. */
  open: Record<string, never>
  /** One binary message from the channel (a text message arrives as a string and is malformed). */
  data: { data: Uint8Array | string }
  /**
   * Optional: the channel's `bufferedamountlow` fired (a sender paused on backpressure may resume
   * now instead of at its next poll). Implementations that never fire it are polled (M24).
   */
  drain: Record<string, never>
  /** The link is gone (local destroy, remote close or failure). Fires once. */
  close: Record<string, never>
  /** A failure (`close` follows), or a media problem the link survives (e.g. a failed `replaceTrack`). */
  error: { error: KibitzError }
  /**
   * A remote media lane is live: the applied remote description says the remote sends on it
   * (M33). Once per lane per link.
   */
  track: { lane: MediaLane; track: MediaStreamTrack }
}

/** What each media lane sends; `null` sends nothing. */
export type LaneTracks = Readonly<Record<MediaLane, MediaStreamTrack | null>>

/** The media lanes of one link (M33–M35). */
export interface LinkMedia {
  /**
   * Make `lane` send `track` (`null`: nothing) with `replaceTrack`: never a renegotiation. Kept
   * and applied when the lane exists (the answerer's lanes appear with the offer). Swaps of one
   * lane apply in call order; a failure is reported as an `error` event, the link stays up.
   */
  setTrack(lane: MediaLane, track: MediaStreamTrack | null): void
  /** What `lane` is set to send. */
  track(lane: MediaLane): MediaStreamTrack | null
  /** The applied remote description has a lane the remote sends on (media health, M36). */
  readonly remoteSends: boolean
}

export interface PeerLink {
  readonly initiator: boolean
  /** True between `open` and `close`. */
  readonly connected: boolean
  /** Bytes queued in the data channel and not yet sent (0 before open). */
  readonly bufferedAmount: number
  /** Feed a signal from the remote peer. Never throws. */
  signal(signal: LinkSignal): void
  /** Send one binary message; throws if the channel is not open. */
  send(frame: Uint8Array): void
  on<E extends keyof PeerLinkEvents>(event: E, cb: (payload: PeerLinkEvents[E]) => void): () => void
  /** Close the connection; `close` fires (asynchronously) unless it already has. */
  destroy(): void
  /**
   * Optional: what the implementation can tell about the connection now (selected candidate pair,
   * RTT, loss), or null when it cannot tell (yet). Never rejects.
   */
  getStats?(): Promise<LinkStats | null>
  /** Media lanes: present when created with `media` on an implementation that has media. */
  readonly media?: LinkMedia
}

/** Connection facts of one link (M32). `null` fields: the implementation does not report them. */
export interface LinkStats {
  /** `relay` when either end of the selected candidate pair is a TURN relay candidate. */
  path: 'direct' | 'relay'
  /** `host`, `srflx`, `prflx` or `relay` (local end of the selected pair). */
  localCandidateType: string | null
  remoteCandidateType: string | null
  /** Current round-trip time of the selected pair (ms). */
  rttMs: number | null
  /** Fraction of inbound packets lost, 0…1 (media only: data channels are reliable). */
  loss: number | null
  /** Inbound RTP (M37); null without media. */
  media: MediaStats | null
}

/** Inbound RTP counters of one lane or of a whole link. */
export interface RtpCounters {
  packetsReceived: number
  bytesReceived: number
  packetsLost: number
}

/** Inbound media of one link (M37). */
export interface MediaStats extends RtpCounters {
  /** Per lane, for the lanes the implementation reports (video lanes with the decoded size). */
  lanes: Partial<Record<MediaLane, LaneStats>>
}

export interface LaneStats extends RtpCounters {
  /** Last decoded frame size (video lanes), or null. */
  frameWidth: number | null
  frameHeight: number | null
}

/**
 * The WebRTC implementation a link runs on (the browser's own globals, `nodeWrtc()` from
 * `@kibitz/mesh/node`, or `@roamhq/wrtc`). Injected, never looked up globally by the mesh.
 */
export interface WebRtcImplementation {
  RTCPeerConnection: unknown
  RTCSessionDescription: unknown
  RTCIceCandidate: unknown
  /** Optional: builds `mesh.remoteStream(peer)` (camera + microphone of a peer). */
  MediaStream?: unknown
  /**
   * Optional: the link this implementation is measured to work best with, used when the mesh is
   * given no `createLink`. Absent: the direct link (M39). `nodeWrtc()` names the native link
   * (M43).
   */
  defaultLink?: (options: {
    wrtc: WebRtcImplementation
    candidateFilter?: CandidateFilter
  }) => PeerLinkFactory
}

export interface PeerLinkOptions {
  initiator: boolean
  /** ICE servers; `[]` for loopback tests (never the public STUN defaults). */
  iceServers: RTCIceServer[]
  /**
   * `'relay'` in relay-only mode: the link must gather and use TURN relay candidates only
   * (`RTCConfiguration.iceTransportPolicy`). Custom factories must honour it.
   */
  iceTransportPolicy: RTCIceTransportPolicy
  /**
   * Media lanes (M33): negotiate all four up front, each sending `tracks[lane]` from the first
   * offer/answer. Absent: a data-only link. Custom factories may ignore it (no media then).
   */
  media?: { tracks: LaneTracks }
}

/** Builds one link; the mesh calls it once per generation of a pair. */
export type PeerLinkFactory = (options: PeerLinkOptions) => PeerLink
