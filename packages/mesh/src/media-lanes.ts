import { ErrorCode, KibitzError, MEDIA_LANES, type MediaLane } from '@kibitz/protocol'
import { LANE_KIND } from './link-media.js'
import type { LaneTracks, PeerLink } from './peer-link.js'

/** `MeshOptions.media`: turns media lanes on (M33). */
export interface MeshMediaOptions {
  /**
   * Makes the placeholder for a lane kind (a flowing 2×2 black video / silent audio track); null =
   * cannot, and then withheld lanes send nothing (M35). Called lazily, once per kind per mesh.
   * The caller owns the tracks (e.g. `browserPlaceholders().stop()`).
   */
  placeholder: (kind: 'audio' | 'video') => MediaStreamTrack | null
}

/** Placeholder tracks for `MeshMediaOptions.placeholder`; `stop()` ends them all. */
export interface Placeholders {
  placeholder: (kind: 'audio' | 'video') => MediaStreamTrack | null
  stop(): void
}

type MediaStreamCtor = new (tracks?: MediaStreamTrack[]) => MediaStream

const isLane = (lane: unknown): lane is MediaLane =>
  typeof lane === 'string' && (MEDIA_LANES as readonly string[]).includes(lane)

const emptyLanes = (): Record<MediaLane, MediaStreamTrack | null> => ({
  audio: null,
  video: null,
  share: null,
  shareAudio: null,
})

/**
 * The mesh's media state (M33–M35): our local source per lane, the per-peer gates, the
 * placeholders, and each peer's remote lanes. It decides what every lane of every link sends —
 * the real track only when the peer is not gated on that lane, else the placeholder — and swaps
 * it on live links; links never renegotiate.
 */
export class MeshMedia {
  readonly #options: MeshMediaOptions
  readonly #MediaStream: MediaStreamCtor | null
  readonly #local = emptyLanes()
  readonly #placeholders = new Map<'audio' | 'video', MediaStreamTrack | null>()
  /** Withheld lanes by peer id; kept across that peer's link rebuilds (and before it has a link). */
  readonly #gates = new Map<string, ReadonlySet<MediaLane>>()
  readonly #links = new Map<string, PeerLink>()
  readonly #remote = new Map<string, Record<MediaLane, MediaStreamTrack | null>>()
  readonly #streams = new Map<string, MediaStream>()

  constructor(options: MeshMediaOptions, MediaStream?: unknown) {
    if (!options || typeof options.placeholder !== 'function') {
      throw new KibitzError(ErrorCode.NOT_CONFIGURED, 'media needs a placeholder factory')
    }
    this.#options = options
    this.#MediaStream = typeof MediaStream === 'function' ? (MediaStream as MediaStreamCtor) : null
  }

  /** The placeholder of a kind, made once; a factory that throws counts as "cannot" (null). */
  #placeholder(kind: 'audio' | 'video'): MediaStreamTrack | null {
    if (!this.#placeholders.has(kind)) {
      let track: MediaStreamTrack | null = null
      try {
        track = this.#options.placeholder(kind) ?? null
      } catch {
        track = null
      }
      this.#placeholders.set(kind, track)
    }
    return this.#placeholders.get(kind) ?? null
  }

  /** What `peer` receives on `lane`: never the real track on a withheld lane (fails closed). */
  #effective(peer: string, lane: MediaLane): MediaStreamTrack | null {
    const real = this.#local[lane]
    if (real && !this.#gates.get(peer)?.has(lane)) return real
    return this.#placeholder(LANE_KIND[lane])
  }

  /** The tracks a new link to `peer` starts with (already gated: nothing leaks, M35). */
  tracksFor(peer: string): LaneTracks {
    const out = emptyLanes()
    for (const lane of MEDIA_LANES) out[lane] = this.#effective(peer, lane)
    return out
  }

  /** Placeholders on every lane: what a link whose peer is not known yet may send (M41). */
  placeholderTracks(): LaneTracks {
    const out = emptyLanes()
    for (const lane of MEDIA_LANES) out[lane] = this.#placeholder(LANE_KIND[lane])
    return out
  }

  /** Put `peer`'s effective tracks on its current link (after a gate change or a spare link). */
  apply(peer: string): void {
    const link = this.#links.get(peer)
    for (const lane of MEDIA_LANES) link?.media?.setTrack(lane, this.#effective(peer, lane))
  }

  /** The link now current for `peer`; its remote lanes are announced through `onTrack`. */
  attach(
    peer: string,
    link: PeerLink,
    onTrack: (lane: MediaLane, track: MediaStreamTrack) => void,
  ): () => void {
    this.detach(peer)
    this.#links.set(peer, link)
    this.#remote.set(peer, emptyLanes())
    return link.on('track', ({ lane, track }) => {
      const lanes = this.#remote.get(peer)
      if (this.#links.get(peer) !== link || !lanes || !isLane(lane)) return
      lanes[lane] = track
      if (lane === 'audio' || lane === 'video') this.#addToStream(peer, track)
      onTrack(lane, track)
    })
  }

  /** `peer` has no link any more: its remote lanes are gone. */
  detach(peer: string): void {
    this.#links.delete(peer)
    this.#remote.delete(peer)
    this.#streams.delete(peer)
  }

  #addToStream(peer: string, track: MediaStreamTrack): void {
    if (!this.#MediaStream) return
    const stream = this.#streams.get(peer)
    if (stream) stream.addTrack(track)
    else this.#streams.set(peer, new this.#MediaStream([track]))
  }

  setTrack(lane: MediaLane, track: MediaStreamTrack | null): void {
    if (!isLane(lane)) throw new KibitzError(ErrorCode.BAD_MESSAGE, `no media lane ${String(lane)}`)
    if (track !== null && (typeof track !== 'object' || track.kind !== LANE_KIND[lane])) {
      throw new KibitzError(ErrorCode.BAD_MESSAGE, `lane ${lane} takes a ${LANE_KIND[lane]} track`)
    }
    this.#local[lane] = track
    for (const [peer, link] of this.#links) link.media?.setTrack(lane, this.#effective(peer, lane))
  }

  setGate(peer: string, withheld: readonly MediaLane[]): void {
    if (typeof peer !== 'string' || peer.length === 0) {
      throw new KibitzError(ErrorCode.BAD_MESSAGE, 'setGate needs a peer id')
    }
    if (!Array.isArray(withheld) || !withheld.every(isLane)) {
      throw new KibitzError(ErrorCode.BAD_MESSAGE, 'setGate takes a list of media lanes')
    }
    if (withheld.length === 0) this.#gates.delete(peer)
    else this.#gates.set(peer, new Set(withheld))
    this.apply(peer)
  }

  gate(peer: string): MediaLane[] {
    return [...(this.#gates.get(peer) ?? [])]
  }

  remoteTracks(peer: string): Readonly<Record<MediaLane, MediaStreamTrack | null>> {
    return { ...(this.#remote.get(peer) ?? emptyLanes()) }
  }

  remoteStream(peer: string): MediaStream | null {
    return this.#streams.get(peer) ?? null
  }

  clear(): void {
    this.#links.clear()
    this.#remote.clear()
    this.#streams.clear()
  }
}
