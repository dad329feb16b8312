import * as z from 'zod/mini'
import { SocketIdSchema } from './broker.js'
import { openUnion } from './codec.js'
import type { Decoded, Result } from './result.js'
import {
  AvatarSchema,
  CounterSchema,
  EngineInfoSchema,
  IdentitySchema,
  NameSchema,
  TokenSchema,
  opaqueJson,
} from './fields.js'
import { GrantMapSchema, GrantSchema } from './grants.js'
import {
  MAX_ADMITTED,
  MAX_ASSERTION_CHARS,
  MAX_BANS,
  MAX_KNOCKS,
  MAX_META_BYTES,
  MAX_REASON_CHARS,
  MAX_ROLE_CHARS,
  MAX_ROSTER_MEMBERS,
  MAX_SEALED_MESSAGE_BYTES,
} from './limits.js'

/**
 * The presence plane: each participant ↔ the room authority (a star), as sealed frames routed by
 * the broker. Discriminator: `t`. A participant's id is the broker-stamped `from` socket id of
 * the frame — never a field of the payload (attribution rule, SPEC P9).
 *
 * Every message must fit one sealed broker frame (MAX_SEALED_MESSAGE_BYTES as JSON).
 */

const MetaSchema = opaqueJson(MAX_META_BYTES, true)

/** Optional credentials a participant presents to the admission gate (verified by `@kibitz/identity`). */
const credentials = {
  /** Cert-bound OIDC / email ID token. */
  jwt: z.optional(TokenSchema),
  /** Agent credit credential (RS256 JWS). */
  credential: z.optional(TokenSchema),
  /** Agent key assertion (signed, room- and fingerprint-bound). */
  assertion: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_ASSERTION_CHARS))),
}

// ── participant → authority ──────────────────────────────────────────────────────────────────

/** Join or refresh call membership. Re-sent on a cadence and whenever a roster arrives without us. */
export const AnnounceSchema = z.object({
  t: z.literal('announce'),
  name: NameSchema,
  avatar: z.optional(AvatarSchema),
  /** Camera on: tiles choose video vs avatar from this flag, not from track presence. */
  cam: z.boolean(),
  mic: z.boolean(),
  /** Stable identity token (per tab, or the verified identity); lets bans survive reconnects. */
  identity: IdentitySchema,
  /** Opaque app metadata (JSON object, ≤ MAX_META_BYTES). */
  meta: z.optional(MetaSchema),
  engine: EngineInfoSchema,
  ...credentials,
})

/** "I'd like in" while the lobby is on; re-sent to rename while waiting. */
export const KnockSchema = z.object({
  t: z.literal('knock'),
  name: NameSchema,
  avatar: z.optional(AvatarSchema),
  identity: IdentitySchema,
  ...credentials,
})

/** Clean leave (also sent on pagehide). */
export const LeaveSchema = z.object({ t: z.literal('leave') })

/** Liveness, both directions. */
export const PingSchema = z.object({ t: z.literal('ping') })

export const ModOps = [
  'lobby-on',
  'lobby-off',
  'admit',
  'deny',
  'lock',
  'unlock',
  'remove',
  'reset',
  'caps',
] as const
export type ModOp = (typeof ModOps)[number]
const TARGETED_OPS: ReadonlySet<string> = new Set(['admit', 'deny', 'remove', 'caps'])

/** A host moderation command, relayed to the authority which checks it against the host tier. */
export const ModSchema = z
  .object({
    t: z.literal('mod'),
    op: z.enum(ModOps),
    /** The socket id the op applies to (admit, deny, remove, caps). */
    target: z.optional(SocketIdSchema),
    /** The grant to set for `target` (op `caps`); absent clears it (back to the kind default). */
    grant: z.optional(GrantSchema),
    /** Signed host command for the cryptographic host tiers (verified by `@kibitz/identity`). */
    sig: z.optional(TokenSchema),
  })
  .check(
    z.refine((m) => !TARGETED_OPS.has(m.op) || m.target !== undefined, {
      error: 'this op needs a target',
      path: ['target'],
    }),
  )

/**
 * Room-salted identity hash (`identityHash` in room-state.ts): base64url of 32 bytes. Rosters carry
 * these, never raw identity tokens (a token would let any member impersonate its owner).
 */
export const IdentityHashSchema = z.string().check(z.length(43), z.regex(/^[A-Za-z0-9_-]+$/))

/**
 * Moderation state that must survive authority migration. Rides every roster (so every admitted
 * member can take over) and the `sync` a member sends to a new authority whose epoch is stale.
 */
export const RoomStateFields = {
  /** Authority term of the state. */
  epoch: CounterSchema,
  lobby: z.boolean(),
  locked: z.boolean(),
  /** Removed identities: refused at announce and knock, across migrations. */
  bans: z.array(IdentityHashSchema).check(z.maxLength(MAX_BANS)),
  /** Identities admitted at some point: a locked room still takes them back. */
  admitted: z.array(IdentityHashSchema).check(z.maxLength(MAX_ADMITTED)),
  /** The host's identity (host-by-name tier: the first announce under the committed name). */
  hostIdentity: z.nullable(IdentityHashSchema),
}

/** Member → a new authority whose roster epoch is older than the state this member knows. */
export const SyncSchema = z.object({ t: z.literal('sync'), ...RoomStateFields })

// ── authority → participant ──────────────────────────────────────────────────────────────────

/** One roster entry. */
export const RosterMemberSchema = z.object({
  /** Broker socket id: what the mesh dials and what frames are attributed to. */
  id: SocketIdSchema,
  name: NameSchema,
  /** '' means initials. */
  avatar: AvatarSchema,
  cam: z.boolean(),
  mic: z.boolean(),
  /** Advisory role tag (e.g. `agent`, `guest`). */
  role: z.optional(z.string().check(z.maxLength(MAX_ROLE_CHARS))),
  /** Opaque app metadata as announced. */
  meta: MetaSchema,
  engine: EngineInfoSchema,
  /** This member is the verified host. */
  host: z.optional(z.boolean()),
  /** The gate verified this member's identity (OIDC / email / invite). */
  verified: z.optional(z.boolean()),
})

/**
 * The full roster, sent as directed frames to admitted members only. Ordering: compare
 * `(epoch, seq)` lexicographically and drop anything not newer than the last applied roster.
 */
export const RosterSchema = z.object({
  t: z.literal('roster'),
  members: z.array(RosterMemberSchema).check(z.maxLength(MAX_ROSTER_MEMBERS)),
  /** Socket id of the authority that sent this roster. */
  authority: SocketIdSchema,
  /** Socket id of the verified host, or null (open rooms have none). */
  host: z.nullable(SocketIdSchema),
  /** The lobby (knock gate) is on. */
  lobby: z.boolean(),
  /** The room is locked: no new knocks are admitted. */
  locked: z.boolean(),
  /** Authority term: a new authority continues from the inherited roster's epoch + 1. */
  epoch: CounterSchema,
  /** Roster sequence within the epoch. */
  seq: CounterSchema,
  /** The knock queue — only in the copy sent to the host, who admits and denies. */
  knocks: z.optional(
    z
      .array(z.object({ id: SocketIdSchema, name: NameSchema, avatar: AvatarSchema }))
      .check(z.maxLength(MAX_KNOCKS)),
  ),
  /** Moderation state for migration (optional for older authorities). */
  bans: z.optional(RoomStateFields.bans),
  admitted: z.optional(RoomStateFields.admitted),
  hostIdentity: z.optional(RoomStateFields.hostIdentity),
  /**
   * The host's capability grants by socket id (explicit entries only; everyone else holds the
   * default for their kind). Members take them from the authority they follow, nobody else.
   */
  grants: z.optional(GrantMapSchema),
})

export const LobbyStatuses = [
  'waiting',
  'admitted',
  'denied',
  'locked',
  'unverified',
  'removed',
] as const
export type LobbyStatus = (typeof LobbyStatuses)[number]

/** Knock / gate outcome, directed to the knocking participant. */
export const LobbySchema = z.object({ t: z.literal('lobby'), status: z.enum(LobbyStatuses) })

/** You were removed (or your credential lapsed). */
export const KickSchema = z.object({
  t: z.literal('kick'),
  reason: z.optional(z.string().check(z.maxLength(MAX_REASON_CHARS))),
})

/** Clear ephemeral chat and annotations. */
export const ResetSchema = z.object({ t: z.literal('reset') })

/** The capability grant map, distributed by the authority. */
export const PresenceCapsSchema = z.object({ t: z.literal('caps'), grants: GrantMapSchema })

// ── codec ────────────────────────────────────────────────────────────────────────────────────

const participantSchemas = {
  announce: AnnounceSchema,
  knock: KnockSchema,
  leave: LeaveSchema,
  ping: PingSchema,
  mod: ModSchema,
  sync: SyncSchema,
}
const authoritySchemas = {
  roster: RosterSchema,
  ping: PingSchema,
  lobby: LobbySchema,
  kick: KickSchema,
  reset: ResetSchema,
  caps: PresenceCapsSchema,
}

export type Announce = z.infer<typeof AnnounceSchema>
export type Knock = z.infer<typeof KnockSchema>
export type Leave = z.infer<typeof LeaveSchema>
export type Ping = z.infer<typeof PingSchema>
export type Mod = z.infer<typeof ModSchema>
export type Sync = z.infer<typeof SyncSchema>
export type RosterMember = z.infer<typeof RosterMemberSchema>
export type Roster = z.infer<typeof RosterSchema>
export type Lobby = z.infer<typeof LobbySchema>
export type Kick = z.infer<typeof KickSchema>
export type Reset = z.infer<typeof ResetSchema>
export type PresenceCaps = z.infer<typeof PresenceCapsSchema>

export type ParticipantToAuthority = Announce | Knock | Leave | Ping | Mod | Sync
export type AuthorityToParticipant = Roster | Ping | Lobby | Kick | Reset | PresenceCaps
export type PresenceMessage = ParticipantToAuthority | AuthorityToParticipant

const upCodec = openUnion({
  plane: 'presence',
  field: 't',
  schemas: participantSchemas,
  maxBytes: MAX_SEALED_MESSAGE_BYTES,
})
const downCodec = openUnion({
  plane: 'presence',
  field: 't',
  schemas: authoritySchemas,
  maxBytes: MAX_SEALED_MESSAGE_BYTES,
})
const anyCodec = openUnion({
  plane: 'presence',
  field: 't',
  schemas: { ...participantSchemas, ...authoritySchemas },
  maxBytes: MAX_SEALED_MESSAGE_BYTES,
})

/** The authority decodes what participants send. */
export const decodeParticipantMessage = (value: unknown): Result<Decoded<ParticipantToAuthority>> =>
  upCodec.decode(value)
/** A participant decodes what the authority sends. */
export const decodeAuthorityMessage = (value: unknown): Result<Decoded<AuthorityToParticipant>> =>
  downCodec.decode(value)
/** Either direction (tools, logs, the local bus). Prefer the directional decoders in engines. */
export const decodePresence = (value: unknown): Result<Decoded<PresenceMessage>> =>
  anyCodec.decode(value)

export const encodeParticipantMessage = (message: ParticipantToAuthority): Result<string> =>
  upCodec.encode(message)
export const encodeAuthorityMessage = (message: AuthorityToParticipant): Result<string> =>
  downCodec.encode(message)
export const encodePresence = (message: PresenceMessage): Result<string> => anyCodec.encode(message)

export const PRESENCE_KINDS: readonly string[] = anyCodec.kinds
