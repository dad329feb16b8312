import type { Result } from '@kibitz/protocol'

/**
 * What the presence engine needs from a broker: the broker contract of `@kibitz/broker` (SPEC
 * B1–B20) for ONE room tag, moving opaque bytes. The engine seals and opens every payload itself,
 * so transports never see plaintext. Two implementations share one contract suite:
 * `connectBroker` (socket.io, `./socket-io`) and `createLocalBus().connect(tag)` (in memory).
 */
export interface RoomTransportEvents {
  /** A directed frame; `from` is stamped by the broker (never taken from the payload). */
  frame: { from: string; payload: Uint8Array }
  /** To the authority: a member's socket left the tag. */
  memberLeft: { id: string }
  /** To members: the authority slot is vacant — race to `claim`. */
  vacated: { authority: string }
  /**
   * The connection dropped and came back with a NEW socket id, already re-joined to the tag.
   * Everything tied to the old id is gone (its claim was released by the broker).
   */
  reset: { self: string; authority: string | null }
  /** The transport is gone for good (closed locally, or reconnection gave up). */
  closed: { reason: string }
}

/** A join's answer. */
export interface JoinAnswer {
  self: string
  /** The authority slot's holder; null: vacant. */
  authority: string | null
  /**
   * The holder the broker relayed our handshake's sealed announce to (broker B22, `socket-io`'s
   * `handshake.announce`): it need not be sent again. Absent when none went.
   */
  announcedTo?: string
}

export type RoomTransportListener<K extends keyof RoomTransportEvents> = (
  event: RoomTransportEvents[K],
) => void

export interface RoomTransport {
  /** The room tag this transport serves. */
  readonly tag: string
  /** This socket's broker id once joined, else null. */
  readonly self: string | null
  /** Join the tag: who am I, and who holds the authority slot (null: vacant). */
  join(): Promise<Result<JoinAnswer>>
  /** Try to take the authority slot. */
  claim(): Promise<Result<{ granted: boolean; authority: string | null }>>
  /** Give the authority slot up (members then hear `vacated`). */
  release(): Promise<Result<object>>
  /** Fire-and-forget directed frame; refusals are dropped (the engine's heartbeats repair loss). */
  send(to: string, payload: Uint8Array): void
  /** Leave the tag and close. */
  leave(): Promise<void>
  on<K extends keyof RoomTransportEvents>(event: K, listener: RoomTransportListener<K>): () => void
  /** Close without leaving politely (the broker notices the disconnect). */
  close(): void
}
