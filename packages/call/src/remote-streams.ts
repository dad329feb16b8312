import type { MediaLane } from '@kibitz/protocol'

type Lanes = Partial<Record<MediaLane, MediaStreamTrack>>

interface PeerStreams {
  lanes: Lanes
  main: MediaStream | null
  share: MediaStream | null
}

/**
 * Remote tracks by peer and lane → the two streams a UI binds: camera + microphone (`stream`) and
 * screen + its audio (`shareStream`). A stream object is rebuilt only when one of its tracks
 * changes, so `<video>` elements bound to it are not reset by unrelated updates (rule 7).
 */
export class RemoteStreams {
  readonly #peers = new Map<string, PeerStreams>()

  setTrack(peer: string, lane: MediaLane, track: MediaStreamTrack): void {
    const st = this.#peers.get(peer) ?? { lanes: {}, main: null, share: null }
    if (st.lanes[lane] === track) return
    st.lanes[lane] = track
    if (lane === 'audio' || lane === 'video') st.main = build([st.lanes.video, st.lanes.audio])
    else st.share = build([st.lanes.share, st.lanes.shareAudio])
    this.#peers.set(peer, st)
  }

  /** The peer's track on `lane`, once its link delivered one. */
  track(peer: string, lane: MediaLane): MediaStreamTrack | null {
    return this.#peers.get(peer)?.lanes[lane] ?? null
  }

  streams(peer: string): { stream: MediaStream | null; share: MediaStream | null } {
    const st = this.#peers.get(peer)
    return { stream: st?.main ?? null, share: st?.share ?? null }
  }

  retain(ids: ReadonlySet<string>): void {
    for (const id of this.#peers.keys()) if (!ids.has(id)) this.#peers.delete(id)
  }
}

function build(tracks: (MediaStreamTrack | undefined)[]): MediaStream | null {
  const Stream = (globalThis as { MediaStream?: typeof MediaStream }).MediaStream
  const present = tracks.filter((t): t is MediaStreamTrack => t !== undefined)
  return Stream && present.length > 0 ? new Stream(present) : null
}
