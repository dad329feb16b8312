import {
  ErrorCode,
  fail,
  type Clock,
  type IceMessage,
  type Result,
  type TimerHandle,
} from '@kibitz/protocol'
import { MediaHealth } from './media-health.js'
import { decodePayload, type MeshValue } from './payload.js'
import type { LinkStats, PeerLink } from './peer-link.js'
import { Reassembler, type ReassemblyLimits } from './reassembly.js'
import { SendQueue, type BackpressureOptions } from './sender.js'

export type PeerTimer = 'connect' | 'retry' | 'dial' | 'stats'

/** Per-peer counters (`mesh.stats(id)`). */
export interface PeerStats {
  /** `blocked`: relay-only mode without a TURN server; no link is ever made (M29). */
  state: 'idle' | 'connecting' | 'open' | 'blocked'
  /** We initiate this pair (our id is the smaller). */
  initiator: boolean
  /** Current link generation (0: none yet). */
  generation: number
  /** Rebuilds since the link last opened. */
  attempts: number
  /**
   * The ICE transport policy of the current generation: `relay` in relay-only mode and on the
   * relay-retry rung (M38), else `all`.
   */
  iceTransportPolicy: RTCIceTransportPolicy
  /** SDP offers beyond the first of each link generation, summed (M34: stays 0 with media). */
  renegotiations: number
  /** Rebuilds in a row of links that carried no inbound media (M36). */
  mediaStalls: number
  /** Time from creating the current link to its channel opening (ms), once open. */
  connectMs: number | null
  bytesSent: number
  bytesReceived: number
  messagesSent: number
  messagesReceived: number
  /** Bytes waiting in our queue (not yet handed to the channel). */
  queuedBytes: number
  /** Bytes the channel buffers. */
  bufferedAmount: number
  /**
   * The open link's connection as last sampled (M32): direct vs relay, RTT, loss. Null before the
   * first sample, when the implementation cannot tell, or while no link is open.
   */
  connection: LinkStats | null
}

/** Everything the mesh keeps about one peer in the set. */
export interface PeerState {
  readonly id: string
  readonly initiator: boolean
  gen: number
  link: PeerLink | null
  unsubs: (() => void)[]
  open: boolean
  bye: boolean
  attempts: number
  policy: RTCIceTransportPolicy
  /** SDP offers seen for the current generation (ours as initiator, the remote's as answerer). */
  offers: number
  /** M44: the current link is our courtesy offer: we answer this pair (M5) but offered first. */
  courtesy: boolean
  renegotiations: number
  health: MediaHealth
  createdAt: number
  connectMs: number | null
  timers: Record<PeerTimer, TimerHandle | null>
  /** ICE of a newer generation that raced ahead of its offer. */
  early: IceMessage[]
  queue: SendQueue
  reassembler: Reassembler
  bytesReceived: number
  messagesReceived: number
  connection: LinkStats | null
  stats(): PeerStats
}

export function createPeerState(
  id: string,
  initiator: boolean,
  clock: Clock,
  backpressure: BackpressureOptions,
  limits: ReassemblyLimits,
): PeerState {
  const st: PeerState = {
    id,
    initiator,
    gen: 0,
    link: null,
    unsubs: [],
    open: false,
    bye: false,
    attempts: 0,
    policy: 'all',
    offers: 0,
    courtesy: false,
    renegotiations: 0,
    health: new MediaHealth(),
    createdAt: clock.now(),
    connectMs: null,
    timers: { connect: null, retry: null, dial: null, stats: null },
    early: [],
    queue: new SendQueue(clock, backpressure),
    reassembler: new Reassembler(limits),
    bytesReceived: 0,
    messagesReceived: 0,
    connection: null,
    stats: () => ({
      state: st.open ? 'open' : st.link ? 'connecting' : 'idle',
      initiator,
      generation: st.gen,
      attempts: st.attempts,
      iceTransportPolicy: st.policy,
      renegotiations: st.renegotiations,
      mediaStalls: st.health.stalls,
      connectMs: st.connectMs,
      bytesSent: st.queue.bytesSent,
      bytesReceived: st.bytesReceived,
      messagesSent: st.queue.messagesSent,
      messagesReceived: st.messagesReceived,
      queuedBytes: st.queue.queuedBytes,
      bufferedAmount: st.link?.bufferedAmount ?? 0,
      connection: st.open ? st.connection : null,
    }),
  }
  return st
}

/**
 * One inbound data-channel frame of `st` (M20–M23): the message it completes, null while a
 * chunked message is still incomplete, or why it was dropped. Never throws.
 */
export function receiveFrame(
  st: PeerState,
  data: Uint8Array | string,
  limits: ReassemblyLimits,
): Result<MeshValue> | null {
  if (typeof data === 'string') {
    return fail(ErrorCode.BAD_MESSAGE, 'text frame on a binary channel')
  }
  st.bytesReceived += data.byteLength
  const assembled = st.reassembler.push(data)
  if (!assembled.ok) return assembled
  if (!assembled.value) return null
  const value = decodePayload(assembled.value, limits)
  if (value.ok) st.messagesReceived++
  return value
}
