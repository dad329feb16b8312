// The only barrel of @kibitz/protocol: named exports only (STYLE.md), `export type` for types.

export { ErrorCode, KibitzError, isKibitzError, isErrorCode, errorFromWire } from './errors.js'
export type { WireError } from './errors.js'
export { ok, fail } from './result.js'
export type { Result, Decoded } from './result.js'

export {
  MAX_BROKER_FRAME_BYTES,
  MAX_APP_PAYLOAD_BYTES,
  TRANSFER_CHUNK_BYTES,
  MAX_TRANSFER_BYTES,
  MAX_TRANSFERS_PER_PEER,
  MAX_NAME_CHARS,
  MAX_AVATAR_CHARS,
  MAX_META_BYTES,
  MAX_ID_CHARS,
  MAX_IDENTITY_CHARS,
  MAX_ROSTER_MEMBERS,
  MAX_KNOCKS,
  MAX_BANS,
  MAX_ADMITTED,
  MAX_CHAT_CHARS,
  MAX_CHAT_LINES,
  MAX_PAY_URL_CHARS,
  MAX_PAY_LABEL_CHARS,
  MAX_SCHEMA_NAME_CHARS,
  MAX_SCHEMA_VERSION_CHARS,
  MAX_SCHEMA_BYTES,
  MAX_SCHEMAS_PER_PEER,
  MAX_FEATURE_TAGS,
  MAX_FEATURE_TAG_CHARS,
  MAX_TOKEN_CHARS,
  MAX_SDP_CHARS,
  MAX_CANDIDATE_CHARS,
  MAX_INK_STROKES,
  MAX_INK_POINTS,
  MAX_GRANTS,
  MAX_ROOM_CHARS,
  ROOM_TAG_CHARS,
  MAX_JSON_DEPTH,
  MAX_KIND_CHARS,
  MAX_SEMVER_CHARS,
  MAX_ROLE_CHARS,
  MAX_REASON_CHARS,
  MAX_ASSERTION_CHARS,
  MAX_CAP_NAMES,
  MAX_CAP_NAME_CHARS,
  MAX_MIME_CHARS,
  MAX_FILE_NAME_CHARS,
  MAX_CHUNK_BASE64_CHARS,
  MAX_COLOR_CHARS,
  MAX_SDP_MID_CHARS,
  MAX_UFRAG_CHARS,
  MAX_KBPS,
  ENVELOPE_OVERHEAD_BYTES,
  MAX_SEALED_MESSAGE_BYTES,
  MAX_CONTENT_MESSAGE_BYTES,
} from './limits.js'

export { PROTOCOL_VERSION, ENGINE_VERSION, Feature, FEATURES } from './version.js'

export { utf8, fromUtf8, toBase64Url, fromBase64Url, asBytes } from './bytes.js'
export {
  FORBIDDEN_KEYS,
  parseJson,
  sanitizeOpaque,
  sanitizeObject,
  stringifyJson,
  utf8ByteLength,
} from './json.js'
export type { JsonLimits, JsonObject, JsonPrimitive, JsonValue } from './json.js'

export { normalizeRoomId, createRoomId } from './room.js'
export {
  ENVELOPE_VERSION,
  MIN_ENVELOPE_BYTES,
  MAX_SEALED_PLAINTEXT_BYTES,
  deriveRoomKeys,
  seal,
  open,
  sealJson,
  openJson,
} from './envelope.js'
export type { RoomKeys } from './envelope.js'

export {
  BrokerEvent,
  RoomTagSchema,
  SocketIdSchema,
  BrokerPayloadSchema,
  JoinRequestSchema,
  ClaimRequestSchema,
  ReleaseRequestSchema,
  LeaveRequestSchema,
  SendRequestSchema,
  decodeBrokerRequest,
  decodeBrokerEvent,
  decodeBrokerReply,
  decodeJoinReply,
  decodeClaimReply,
  decodeEmptyReply,
  decodeHandshakeJoin,
  decodeJoinedEvent,
  HandshakeJoinSchema,
} from './broker.js'
export type {
  JoinRequest,
  ClaimRequest,
  ReleaseRequest,
  LeaveRequest,
  SendRequest,
  BrokerReply,
  JoinReply,
  ClaimReply,
  ReleaseReply,
  LeaveReply,
  SendReply,
  FrameEvent,
  MemberLeftEvent,
  AuthorityVacatedEvent,
  RefusedEvent,
  JoinedEvent,
  DecodedJoinedEvent,
  HandshakeJoin,
} from './broker.js'

export { parseWithSchema, openUnion } from './codec.js'
export type { OpenUnionCodec, OpenUnionOptions } from './codec.js'
export {
  NameSchema,
  AvatarSchema,
  IdSchema,
  IdentitySchema,
  TokenSchema,
  JwtSchema,
  TimestampSchema,
  CounterSchema,
  SemverSchema,
  FeatureTagSchema,
  EngineInfoSchema,
  opaqueJson,
} from './fields.js'
export type { EngineInfo } from './fields.js'
export { CapabilityNameSchema, GrantSchema, GrantMapSchema } from './grants.js'
export type { Grant, GrantMap } from './grants.js'

export {
  AnnounceSchema,
  KnockSchema,
  LeaveSchema,
  PingSchema,
  ModSchema,
  ModOps,
  RosterMemberSchema,
  RosterSchema,
  LobbySchema,
  LobbyStatuses,
  KickSchema,
  ResetSchema,
  PresenceCapsSchema,
  SyncSchema,
  IdentityHashSchema,
  RoomStateFields,
  PRESENCE_KINDS,
  decodePresence,
  decodeParticipantMessage,
  decodeAuthorityMessage,
  encodePresence,
  encodeParticipantMessage,
  encodeAuthorityMessage,
} from './presence.js'
export type {
  Announce,
  Knock,
  Leave,
  Ping,
  Mod,
  ModOp,
  Sync,
  RosterMember,
  Roster,
  Lobby,
  LobbyStatus,
  Kick,
  Reset,
  PresenceCaps,
  ParticipantToAuthority,
  AuthorityToParticipant,
  PresenceMessage,
} from './presence.js'

export {
  SdpTypes,
  SessionDescriptionSchema,
  IceCandidateSchema,
  SdpSchema,
  IceSchema,
  RecreateSchema,
  DialSchema,
  DeadSchema,
  ByeSchema,
  HealthSchema,
  SIGNAL_KINDS,
  decodeSignal,
  encodeSignal,
} from './signal.js'
export type {
  SdpType,
  SessionDescription,
  IceCandidate,
  SdpMessage,
  IceMessage,
  RecreateMessage,
  DialMessage,
  DeadMessage,
  ByeMessage,
  HealthMessage,
  SignalMessage,
} from './signal.js'

export {
  ColorSchema,
  InkPointSchema,
  InkPtrSchema,
  InkDrawSchema,
  InkClearSchema,
  InkRestoreSchema,
  InkEventSchema,
} from './ink.js'
export type { InkEvent } from './ink.js'
export { PAY_SCHEMES, isAllowedPayUrl } from './pay.js'
export {
  TransferIdSchema,
  TransferKinds,
  TransferBeginSchema,
  TransferChunkSchema,
  TransferEndSchema,
  TransferCancelSchema,
  transferChunkCount,
  encodeChunkFrame,
  decodeChunkFrame,
} from './transfer.js'
export type {
  TransferKind,
  TransferBegin,
  TransferChunk,
  TransferEnd,
  TransferCancel,
  ChunkFrame,
} from './transfer.js'
export {
  ChatSchema,
  AppSchema,
  InkSchema,
  PaySchema,
  IdTokenSchema,
  ContentCapsSchema,
  SchemaSchema,
  CONTENT_KINDS,
  decodeContent,
  encodeContent,
} from './content.js'
export type {
  Chat,
  AppMessage,
  Ink,
  Pay,
  IdToken,
  ContentCaps,
  SchemaMessage,
  TransferMessage,
  ContentMessage,
} from './content.js'

export {
  AGENT_KEY,
  AGENT_KINDS,
  AgentChatSchema,
  AgentViewSchema,
  AgentActSchema,
  decodeAgentEnvelope,
  agentChat,
  agentView,
  agentAct,
} from './agent.js'
export type { AgentChat, AgentView, AgentAct, AgentEnvelope, AgentKind } from './agent.js'

export {
  BROKER_CODEC_VERSION,
  PacketType,
  brokerParser,
  decodeBrokerPacket,
  encodeBrokerPacket,
} from './broker-codec.js'
export type { BrokerPacket } from './broker-codec.js'

export { identityHash } from './identity-hash.js'
export { MEDIA_LANES, type MediaLane } from './media.js'

// Platform seams shared by every engine package (not wire format).
export { Emitter } from './emitter.js'
export { realClock, unrefTimer } from './clock.js'
export type { Clock, TimerHandle } from './clock.js'
