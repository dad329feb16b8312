import type { SignalMessage } from '@kibitz/protocol'

/**
 * The seam between the mesh and whatever carries its signaling (M1). The call layer wires it to
 * `@kibitz/presence` (`room.sendSignal` / `room.on('signal')`), which seals every frame and only
 * routes between rostered peers; tests wire it to an in-memory hub or straight to the broker.
 *
 * Messages are plain protocol `SignalMessage`s; routing (`to` / `from`) belongs to the carrier.
 */
export interface MeshSignaling {
  /** Send one signal to `to`. Returns false when nothing was sent (e.g. `to` is not rostered). */
  send(to: string, message: SignalMessage): boolean
  /** Inbound signals, already decoded; returns an unsubscribe function. */
  onSignal(cb: (from: string, message: SignalMessage) => void): () => void
}
