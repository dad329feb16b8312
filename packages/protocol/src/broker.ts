import * as z from 'zod/mini'
import { asBytes } from './bytes.js'
import { ErrorCode, isErrorCode, type WireError } from './errors.js'
import { MAX_BROKER_FRAME_BYTES, MAX_ID_CHARS, ROOM_TAG_CHARS } from './limits.js'
import { fail, ok, type Result } from './result.js'

/**
 * The broker plane: client ↔ broker over socket.io. The broker routes opaque sealed envelopes
 * between sockets of the same room tag and arbitrates one authority slot per tag. It never parses
 * a payload; it only checks that a payload is binary and within {@link MAX_BROKER_FRAME_BYTES}.
 *
 * Client → broker events carry an acknowledgement callback (socket.io ack) answered with a
 * `*Reply`. Broker → client events are pushed.
 */

export const BrokerEvent = {
  // client → broker
  join: 'join',
  claim: 'claim',
  release: 'release',
  send: 'send',
  leave: 'leave',
  // broker → client
  frame: 'frame',
  memberLeft: 'member-left',
  authorityVacated: 'authority-vacated',
  refused: 'refused',
  /** The replies to a join (and claim) asked for in the connection handshake (B21). */
  joined: 'joined',
} as const

/** A room tag: base64url of 32 bytes (see `deriveRoomKeys`). */
export const RoomTagSchema = z.string().check(z.length(ROOM_TAG_CHARS), z.regex(/^[A-Za-z0-9_-]+$/))
/** A broker-assigned socket id. */
export const SocketIdSchema = z.string().check(z.minLength(1), z.maxLength(MAX_ID_CHARS))

/** An opaque payload: binary (a sealed envelope), 1..MAX_BROKER_FRAME_BYTES bytes. */
export const BrokerPayloadSchema = z.custom<Uint8Array>((value) => {
  const bytes = asBytes(value)
  return bytes !== null && bytes.byteLength > 0 && bytes.byteLength <= MAX_BROKER_FRAME_BYTES
})

export const JoinRequestSchema = /* @__PURE__ */ z.object({ tag: RoomTagSchema })
export const ClaimRequestSchema = /* @__PURE__ */ z.object({ tag: RoomTagSchema })
export const ReleaseRequestSchema = /* @__PURE__ */ z.object({ tag: RoomTagSchema })
export const LeaveRequestSchema = /* @__PURE__ */ z.object({ tag: RoomTagSchema })
export const SendRequestSchema = /* @__PURE__ */ z.object({
  tag: RoomTagSchema,
  to: SocketIdSchema,
  payload: BrokerPayloadSchema,
})

/**
 * Join (and claim) inside the socket.io handshake (B21): the client puts this under `kibitz` in its
 * `auth`, and the broker answers with a `joined` event right after accepting the connection, one
 * round trip before a `join` sent once connected could be answered. `announce` (B22): a sealed
 * payload the broker relays to the authority holder as a `frame` from this socket once the join
 * succeeded — the member's first presence message, one more round trip sooner.
 */
export const HandshakeJoinSchema = /* @__PURE__ */ z.object({
  join: RoomTagSchema,
  claim: z.optional(z.boolean()),
  announce: z.optional(BrokerPayloadSchema),
})
export type HandshakeJoin = z.infer<typeof HandshakeJoinSchema>

export type JoinRequest = z.infer<typeof JoinRequestSchema>
export type ClaimRequest = z.infer<typeof ClaimRequestSchema>
export type ReleaseRequest = z.infer<typeof ReleaseRequestSchema>
export type LeaveRequest = z.infer<typeof LeaveRequestSchema>
export type SendRequest = { tag: string; to: string; payload: Uint8Array }

/** Every reply is either `ok: true` with fields, or `ok: false` with a wire error. */
export type BrokerReply<T extends object = object> =
  ({ ok: true } & T) | { ok: false; error: WireError }

/** `join` → who am I, and who holds the authority slot now (null: vacant, go claim it). */
export type JoinReply = BrokerReply<{ self: string; authority: string | null }>
/** `claim` → granted or not; `authority` is the holder either way. */
export type ClaimReply = BrokerReply<{ granted: boolean; authority: string | null }>
export type ReleaseReply = BrokerReply
export type LeaveReply = BrokerReply
export type SendReply = BrokerReply

/** Broker → member: a frame from `from` (stamped by the broker; never taken from the client). */
export interface FrameEvent {
  tag: string
  from: string
  payload: Uint8Array
}
/** Broker → authority: a member's socket left the tag (disconnect or `leave`). */
export interface MemberLeftEvent {
  tag: string
  id: string
}
/** Broker → members: the authority slot is vacant; race to `claim` it. */
export interface AuthorityVacatedEvent {
  tag: string
  /** The socket id that held the slot. */
  authority: string
}
/** Broker → client: what the handshake's join (and claim, when asked) got (B21). */
export interface JoinedEvent {
  tag: string
  join: JoinReply
  /** Present when the handshake asked to claim and the join succeeded. */
  claim?: ClaimReply
  /** B22: the authority the handshake's `announce` was relayed to; absent when it was not. */
  announced?: string
}
/** A decoded `joined` event: each reply decoded like the ack it stands for. */
export interface DecodedJoinedEvent {
  tag: string
  join: Result<{ self: string; authority: string | null }>
  claim: Result<{ granted: boolean; authority: string | null }> | null
  /** B22: who got the handshake's `announce`, or null. */
  announced: string | null
}
/** Broker → client: an operation sent without an ack callback was refused. */
export interface RefusedEvent {
  op: string
  tag?: string
  error: WireError
}

const FrameEventSchema = z.object({
  tag: RoomTagSchema,
  from: SocketIdSchema,
  payload: BrokerPayloadSchema,
})
const MemberLeftEventSchema = z.object({ tag: RoomTagSchema, id: SocketIdSchema })
const AuthorityVacatedEventSchema = z.object({ tag: RoomTagSchema, authority: SocketIdSchema })
const WireErrorSchema = z.object({
  code: z.custom<ErrorCode>((v) => isErrorCode(v)),
  message: z.string().check(z.maxLength(500)),
})
const RefusedEventSchema = z.object({
  op: z.string().check(z.maxLength(32)),
  tag: z.optional(z.string().check(z.maxLength(ROOM_TAG_CHARS))),
  error: WireErrorSchema,
})

function parseWith<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): Result<T> {
  try {
    const parsed = schema.safeParse(value)
    if (parsed.success) return ok(parsed.data)
    return fail(
      ErrorCode.BAD_MESSAGE,
      `malformed ${what}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    )
  } catch (cause) {
    // A throwing getter or proxy trap on hostile input (P2: decoders never throw).
    return fail(ErrorCode.BAD_MESSAGE, `malformed ${what}`, cause)
  }
}

/** Run a decoder body so that nothing it touches on hostile input can throw out of it. */
function guarded<T>(what: string, body: () => Result<T>): Result<T> {
  try {
    return body()
  } catch (cause) {
    return fail(ErrorCode.BAD_MESSAGE, `malformed ${what}`, cause)
  }
}

/** Validate a client request the broker received. */
export const decodeBrokerRequest = {
  join: (v: unknown) => parseWith(JoinRequestSchema, v, 'join'),
  claim: (v: unknown) => parseWith(ClaimRequestSchema, v, 'claim'),
  release: (v: unknown) => parseWith(ReleaseRequestSchema, v, 'release'),
  leave: (v: unknown) => parseWith(LeaveRequestSchema, v, 'leave'),
  send: (v: unknown): Result<SendRequest> =>
    guarded('send', () => {
      const r = parseWith(SendRequestSchema, v, 'send')
      if (!r.ok) {
        // Distinguish an oversized payload so the sender gets TOO_LARGE rather than BAD_MESSAGE.
        const bytes = asBytes((v as { payload?: unknown } | null)?.payload)
        if (bytes && bytes.byteLength > MAX_BROKER_FRAME_BYTES) {
          return fail(
            ErrorCode.TOO_LARGE,
            `frame is ${bytes.byteLength} bytes; the limit is ${MAX_BROKER_FRAME_BYTES}`,
          )
        }
        return r
      }
      return ok({ ...r.value, payload: asBytes(r.value.payload)! })
    }),
}

/** Validate an event the client received from the broker (a broker is untrusted input too). */
export const decodeBrokerEvent = {
  frame: (v: unknown): Result<FrameEvent> =>
    guarded('frame', () => {
      const r = parseWith(FrameEventSchema, v, 'frame')
      return r.ok ? ok({ ...r.value, payload: asBytes(r.value.payload)! }) : r
    }),
  memberLeft: (v: unknown): Result<MemberLeftEvent> =>
    parseWith(MemberLeftEventSchema, v, 'member-left'),
  authorityVacated: (v: unknown): Result<AuthorityVacatedEvent> =>
    parseWith(AuthorityVacatedEventSchema, v, 'authority-vacated'),
  refused: (v: unknown): Result<RefusedEvent> => parseWith(RefusedEventSchema, v, 'refused'),
}

/**
 * Read the handshake join a client asked for (`auth.kibitz`, B21). Null when there is none or it
 * is malformed: the client then joins with a `join` request as usual.
 */
export function decodeHandshakeJoin(auth: unknown): HandshakeJoin | null {
  try {
    if (typeof auth !== 'object' || auth === null) return null
    const parsed = HandshakeJoinSchema.safeParse((auth as { kibitz?: unknown }).kibitz)
    return parsed.success ? parsed.data : null
  } catch {
    // A throwing getter or proxy trap on hostile input.
    return null
  }
}

/** Validate a reply to a request (again: the broker's answers are untrusted input). */
export function decodeBrokerReply<T extends object>(
  value: unknown,
  fields: (v: Record<string, unknown>) => T | null,
): Result<T> {
  return guarded('broker reply', () => decodeReplyUnguarded(value, fields))
}

function decodeReplyUnguarded<T extends object>(
  value: unknown,
  fields: (v: Record<string, unknown>) => T | null,
): Result<T> {
  if (typeof value !== 'object' || value === null)
    return fail(ErrorCode.BAD_MESSAGE, 'broker reply is not an object')
  const rec = value as Record<string, unknown>
  if (rec.ok === false) {
    const err = WireErrorSchema.safeParse(rec.error)
    if (!err.success) return fail(ErrorCode.BAD_MESSAGE, 'broker reply carries a malformed error')
    return fail(err.data.code, err.data.message)
  }
  if (rec.ok !== true) return fail(ErrorCode.BAD_MESSAGE, 'broker reply has no ok flag')
  const out = fields(rec)
  return out === null ? fail(ErrorCode.BAD_MESSAGE, 'broker reply is missing fields') : ok(out)
}

const idOrNull = (v: unknown): v is string | null =>
  v === null || SocketIdSchema.safeParse(v).success

export const decodeJoinReply = (v: unknown) =>
  decodeBrokerReply(v, (r) =>
    SocketIdSchema.safeParse(r.self).success && idOrNull(r.authority)
      ? { self: r.self as string, authority: r.authority as string | null }
      : null,
  )

export const decodeClaimReply = (v: unknown) =>
  decodeBrokerReply(v, (r) =>
    typeof r.granted === 'boolean' && idOrNull(r.authority)
      ? { granted: r.granted, authority: r.authority as string | null }
      : null,
  )

export const decodeEmptyReply = (v: unknown) => decodeBrokerReply(v, () => ({}))

/**
 * Validate a `joined` event (B21): the tag, then each reply like the ack it stands for. Kept out of
 * `decodeBrokerEvent` so that a bundle which does not need it can leave it out.
 */
export function decodeJoinedEvent(v: unknown): Result<DecodedJoinedEvent> {
  return guarded('joined', () => {
    const rec = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>
    if (!RoomTagSchema.safeParse(rec.tag).success)
      return fail(ErrorCode.BAD_MESSAGE, 'malformed joined: no valid tag')
    return ok({
      tag: rec.tag as string,
      join: decodeJoinReply(rec.join),
      claim: rec.claim === undefined ? null : decodeClaimReply(rec.claim),
      announced: SocketIdSchema.safeParse(rec.announced).success ? (rec.announced as string) : null,
    })
  })
}
