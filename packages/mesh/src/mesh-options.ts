import { ErrorCode, KibitzError, realClock, type Clock, type MediaLane } from '@kibitz/protocol'
import type { CandidateFilter } from './candidates.js'
import type { MeshEvents } from './events.js'
import type { MeshMediaOptions } from './media-lanes.js'
import type { MeshData, MeshValue } from './payload.js'
import { hasTurnServer } from './ice.js'
import type { PeerLinkFactory, WebRtcImplementation } from './peer-link.js'
import type { PeerStats } from './peer-state.js'
import { rtcPeerLinkFactory } from './rtc-peer-link.js'
import { DEFAULT_REASSEMBLY_LIMITS, type ReassemblyLimits } from './reassembly.js'
import { DEFAULT_BACKPRESSURE, type BackpressureOptions } from './sender.js'
import type { MeshSignaling } from './signaling.js'

export interface MeshOptions {
  /** Our own participant id (as the signaling carrier names us). */
  self: string
  signaling: MeshSignaling
  /**
   * The WebRTC implementation of the default links (`rtcPeerLinkFactory`: one
   * `RTCPeerConnection` and its data channel, M39), and of `remoteStream`'s `MediaStream`.
   */
  wrtc?: WebRtcImplementation
  /** Build links yourself (overrides `wrtc`). */
  createLink?: PeerLinkFactory
  /** ICE servers (e.g. `fetchIceServers(…).iceServers`); default `[]` (never public STUN). */
  iceServers?: RTCIceServer[]
  /**
   * "Hide my IP" (M29, M30): TURN relay candidates only (`iceTransportPolicy: 'relay'`), and only
   * relay candidates leave in signaling. Fails closed: without a TURN server in `iceServers` the
   * mesh makes no link at all (`blocked`), never a direct one.
   */
  relayOnly?: boolean
  /**
   * Media lanes (M33–M37): every link negotiates microphone, camera, screen and screen audio up
   * front, with placeholders until `setTrack`. Absent: data-only links (node-datachannel).
   */
  media?: MeshMediaOptions
  /**
   * A media link open this long whose inbound RTP bytes did not grow is rebuilt (M36). Default
   * 10 s; 0 = never. Only with `media`.
   */
  mediaStallMs?: number
  /**
   * After this many failed links to a peer in a row, the initiator's next generations use
   * `iceTransportPolicy: 'relay'` when `iceServers` hold a TURN server (M38). Default 2; 0 = never.
   */
  relayRetryAfter?: number
  /** Re-sample each open link's connection stats this often (ms); 0 = only 1 s after open. Default 5 s. */
  statsIntervalMs?: number
  /** Keep only the ICE candidates this accepts (e.g. `loopbackOnly`); default keeps all. */
  candidateFilter?: CandidateFilter
  /**
   * @deprecated Ignored: it was simple-peer's end-of-candidates fallback (ms), and the default
   * link no longer uses simple-peer. Pass it to `simplePeerLinkFactory` from
   * `@kibitz/mesh/simple-peer` instead.
   */
  iceCompleteTimeoutMs?: number
  clock?: Clock
  /** A link not open after this long is rebuilt (M14). Default 15 s. */
  connectTimeoutMs?: number
  /** The answerer sends `dial` when no offer arrived this long after the peer joined (M10). Default 3 s. */
  dialAfterMs?: number
  /** Rebuilds in a row before the initiator gives up on a peer (M15). Default 5. */
  maxAttempts?: number
  /** Upper bound on flushing queued data before `bye` on close (M17). Default 250 ms. */
  byeFlushMs?: number
  backpressure?: Partial<BackpressureOptions>
  limits?: Partial<ReassemblyLimits>
  /**
   * M41: while the mesh has no peers, keep one initiator link built (connection, lanes, data
   * channel, offer, candidates; placeholders only) and use it for the first peer we dial, so our
   * offer leaves at once. Costs an idle connection while alone. Default false.
   */
  prewarm?: boolean
}

export interface Mesh {
  readonly self: string
  /** Relay-only mode is on (M29). */
  readonly relayOnly: boolean
  /** Why this mesh refuses to connect (relay-only without TURN: `NOT_CONFIGURED`), or null. */
  readonly blocked: KibitzError | null
  /** Media lanes are on (`MeshOptions.media`). */
  readonly media: boolean
  /** The roster: exactly one link per id in `ids` (M4, M6). Ids that leave are closed. */
  setPeers(ids: readonly string[]): void
  /** Send to every peer whose link is open; never to ourselves (M26). Returns how many. */
  broadcast(data: MeshData): number
  /** Send to one peer in the set (queued until its link opens). NO_SUCH_PEER otherwise (M27). */
  sendTo(id: string, data: MeshData): void
  /** Receive `(data, from)`; additive; returns an unsubscribe function. */
  onMessage(cb: (data: MeshValue, from: string) => void): () => void
  on<E extends keyof MeshEvents>(event: E, cb: (payload: MeshEvents[E]) => void): () => void
  /** Ids whose links are open now. */
  connectedPeers(): string[]
  /** Counters for one peer in the set, or null. */
  stats(id: string): PeerStats | null
  /** Sample the peer's connection stats now (M32), then return `stats(id)`. */
  sampleStats(id: string): Promise<PeerStats | null>
  /**
   * Our local source for `lane` on every link, now and future (M34): `replaceTrack`, never a
   * renegotiation; `null` → the placeholder. Peers gated on the lane keep their placeholder.
   * Throws `NOT_CONFIGURED` without media, `BAD_MESSAGE` for an unknown lane or a track of the
   * wrong kind.
   */
  setTrack(lane: MediaLane, track: MediaStreamTrack | null): void
  /**
   * Lanes `peer` must not receive (M35: perceive is enforced by the sender). Applies from the
   * first offer of links made later, persists across rebuilds; `setGate(peer, [])` lifts it.
   */
  setGate(peer: string, withheld: readonly MediaLane[]): void
  /**
   * The live remote lanes of `peer`'s current link (null before a lane is live), or null when
   * `peer` is not in the set or media is off.
   */
  remoteTracks(peer: string): Readonly<Record<MediaLane, MediaStreamTrack | null>> | null
  /**
   * A `MediaStream` with `peer`'s remote camera (`video` lane) and microphone (`audio` lane) on
   * the current link, for binding to a `<video>`; a new link brings a new stream (announced by
   * `track` events). Null before those lanes are live, or without `wrtc.MediaStream`.
   */
  remoteStream(peer: string): MediaStream | null
  /** Flush (bounded), say `bye` to every peer, close every link. Idempotent. */
  close(): Promise<void>
}

/** The mesh's configuration: every option with its default applied. */
export type MeshConfig = ReturnType<typeof resolveMeshOptions>

export function resolveMeshOptions(options: MeshOptions) {
  const iceServers = options.iceServers ?? []
  const relayOnly = options.relayOnly === true
  const createLink =
    options.createLink ??
    (options.wrtc
      ? (options.wrtc.defaultLink ?? rtcPeerLinkFactory)({
          wrtc: options.wrtc,
          ...(options.candidateFilter ? { candidateFilter: options.candidateFilter } : {}),
        })
      : null)
  if (!createLink) throw new KibitzError(ErrorCode.NOT_CONFIGURED, 'createMesh needs wrtc')
  return {
    clock: options.clock ?? realClock,
    iceServers,
    relayOnly,
    /** TURN exists: relay-only can work, and the relay-retry rung applies (M38). */
    canRelay: hasTurnServer(iceServers),
    // Fail closed (M29): relay-only without a TURN server never falls back to direct.
    blocked:
      relayOnly && !hasTurnServer(iceServers)
        ? new KibitzError(
            ErrorCode.NOT_CONFIGURED,
            'relay-only mode needs a TURN server: no link will be made',
          )
        : null,
    createLink,
    statsIntervalMs: options.statsIntervalMs ?? 5_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
    dialAfterMs: options.dialAfterMs ?? 3_000,
    maxAttempts: options.maxAttempts ?? 5,
    byeFlushMs: options.byeFlushMs ?? 250,
    mediaStallMs: options.mediaStallMs ?? 10_000,
    relayRetryAfter: options.relayRetryAfter ?? 2,
    backpressure: { ...DEFAULT_BACKPRESSURE, ...options.backpressure },
    limits: { ...DEFAULT_REASSEMBLY_LIMITS, ...options.limits },
  }
}

/**
 * M38: the initiator retries relay-only once `relayRetryAfter` links in a row failed (or carried
 * no media), when a TURN server exists; relay-only mode is always relay.
 */
export function iceTransportPolicyFor(
  config: MeshConfig,
  peer: { initiator: boolean; attempts: number; health: { stalls: number } },
): RTCIceTransportPolicy {
  if (config.relayOnly) return 'relay'
  const failures = Math.max(peer.attempts, peer.health.stalls)
  const after = config.relayRetryAfter
  return peer.initiator && config.canRelay && after > 0 && failures >= after ? 'relay' : 'all'
}
