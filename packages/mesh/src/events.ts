import type { KibitzError, MediaLane } from '@kibitz/protocol'

/** Why a peer's link is no longer open. */
export type CloseReason =
  /** The peer left the set given to `setPeers`. */
  | 'left'
  /** The peer said `bye` (graceful leave): dropped at once, not re-dialed. */
  | 'bye'
  /** The connection failed or closed; the recovery rules re-dial it. */
  | 'failed'
  /** A newer generation replaced the link. */
  | 'replaced'
  /** This mesh closed. */
  | 'closed'

export interface MeshEvents {
  /** A peer's data channel opened (again). */
  open: { peer: string }
  /** A peer's open link went away. */
  close: { peer: string; reason: CloseReason }
  /**
   * Something was dropped: a malformed or oversized frame, a bad signal, a link failure, a peer
   * that never connected. `peer` is the remote it concerns. The mesh keeps running.
   */
  error: { peer: string | null; error: KibitzError }
  /**
   * A remote media lane of `peer` is live on its current link (M33): once per lane per link, so
   * again after every rebuild. `mesh.remoteTracks(peer)` holds the same tracks.
   */
  track: { peer: string; lane: MediaLane; track: MediaStreamTrack }
}
