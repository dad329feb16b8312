import * as z from 'zod/mini'
import { openUnion } from './codec.js'
import { CounterSchema } from './fields.js'
import {
  MAX_CANDIDATE_CHARS,
  MAX_KBPS,
  MAX_SDP_CHARS,
  MAX_SDP_MID_CHARS,
  MAX_SEALED_MESSAGE_BYTES,
  MAX_UFRAG_CHARS,
} from './limits.js'
import type { Decoded, Result } from './result.js'

/**
 * The signal plane: mesh signaling between two peers, riding the broker as sealed directed
 * frames. Discriminator: `t`. `link` is the link generation: a peer bumps it whenever it rebuilds
 * its RTCPeerConnection for the pair, and receivers drop `sdp`/`ice` of an older generation than
 * the one they hold (stale-guard, architecture rule 6).
 */

const LinkSchema = CounterSchema

export const SdpTypes = ['offer', 'answer', 'pranswer', 'rollback'] as const
export type SdpType = (typeof SdpTypes)[number]

/** A plain RTCSessionDescriptionInit (never the live object). */
export const SessionDescriptionSchema = z.object({
  type: z.enum(SdpTypes),
  sdp: z.string().check(z.maxLength(MAX_SDP_CHARS)),
})

/** A plain RTCIceCandidateInit. */
export const IceCandidateSchema = z.object({
  candidate: z.string().check(z.maxLength(MAX_CANDIDATE_CHARS)),
  sdpMid: z.optional(z.nullable(z.string().check(z.maxLength(MAX_SDP_MID_CHARS)))),
  sdpMLineIndex: z.optional(z.nullable(z.number().check(z.int(), z.gte(0), z.lte(0xffff)))),
  usernameFragment: z.optional(z.nullable(z.string().check(z.maxLength(MAX_UFRAG_CHARS)))),
})

/** Offer / answer (perfect negotiation). */
export const SdpSchema = z.object({
  t: z.literal('sdp'),
  description: SessionDescriptionSchema,
  /** Sticky relay latch: once set, both sides stay relay-only for this pair. */
  relay: z.optional(z.boolean()),
  link: LinkSchema,
})

/** Trickle ICE; `candidate: null` is end-of-candidates. Buffered until the remote description is set. */
export const IceSchema = z.object({
  t: z.literal('ice'),
  candidate: z.nullable(IceCandidateSchema),
  link: LinkSchema,
})

/** "I'm rebuilding this link; drop your connection" (relay-only when `relay`). `link` is the new generation. */
export const RecreateSchema = z.object({
  t: z.literal('recreate'),
  relay: z.optional(z.boolean()),
  link: LinkSchema,
})

/** The answerer asks the initiator to start a link that never got created. */
export const DialSchema = z.object({ t: z.literal('dial'), link: z.optional(LinkSchema) })

/** "Our link is dead; you are the initiator, re-dial." */
export const DeadSchema = z.object({ t: z.literal('dead'), link: z.optional(LinkSchema) })

/** Graceful leave of the pair (the closer delays its close ~250 ms to flush). */
export const ByeSchema = z.object({ t: z.literal('bye') })

const Kbps = z.number().check(z.gte(0), z.lte(MAX_KBPS))

/** Media-health heartbeat (every 2 s); all zeros is a bare keepalive when there is no media link. */
export const HealthSchema = z.object({
  t: z.literal('health'),
  /** Inbound video kbps. */
  v: Kbps,
  /** Inbound audio kbps. */
  a: Kbps,
  /** Outbound video kbps. */
  ov: Kbps,
  /** Outbound audio kbps. */
  oa: Kbps,
})

export type SessionDescription = z.infer<typeof SessionDescriptionSchema>
export type IceCandidate = z.infer<typeof IceCandidateSchema>
export type SdpMessage = z.infer<typeof SdpSchema>
export type IceMessage = z.infer<typeof IceSchema>
export type RecreateMessage = z.infer<typeof RecreateSchema>
export type DialMessage = z.infer<typeof DialSchema>
export type DeadMessage = z.infer<typeof DeadSchema>
export type ByeMessage = z.infer<typeof ByeSchema>
export type HealthMessage = z.infer<typeof HealthSchema>
export type SignalMessage =
  SdpMessage | IceMessage | RecreateMessage | DialMessage | DeadMessage | ByeMessage | HealthMessage

const codec = openUnion({
  plane: 'signal',
  field: 't',
  schemas: {
    sdp: SdpSchema,
    ice: IceSchema,
    recreate: RecreateSchema,
    dial: DialSchema,
    dead: DeadSchema,
    bye: ByeSchema,
    health: HealthSchema,
  },
  maxBytes: MAX_SEALED_MESSAGE_BYTES,
})

export const decodeSignal = (value: unknown): Result<Decoded<SignalMessage>> => codec.decode(value)
export const encodeSignal = (message: SignalMessage): Result<string> => codec.encode(message)
export const SIGNAL_KINDS: readonly string[] = codec.kinds
