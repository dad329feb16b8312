// The only barrel of @kibitz/call: named exports only (STYLE.md), `export type` for types.

export { createCall } from './call.js'
export type {
  AuditEntry,
  Call,
  CallEvents,
  CallOptions,
  CallParticipant,
  CallSnapshot,
  CallState,
  CallStatus,
  Grant,
  MessageListener,
  SchemaInput,
} from './types.js'
export { callStatus, initialsOf } from './status.js'
export type { CallError, CallUiStatus, CallUiStatusKind, RefusedReason } from './status.js'
export { CHAT_REPLAY_LINES } from './chat.js'
export type { ChatLine } from './chat.js'
export { MAX_OWN_SCHEMAS, MAX_SCHEMAS_TOTAL } from './schemas.js'
export type { AppSchemaEntry } from './schemas.js'
export type { MediaDevicesLike } from './local-media.js'
export { createSpeakingDetector } from './speaking.js'
export type { SpeakingDetector, SpeakingOptions } from './speaking.js'
// What every app of the controller needs without importing the lower layers itself.
export { ACT, PERCEIVE } from '@kibitz/capabilities'
export type { Act, Perceive } from '@kibitz/capabilities'
export { loopbackOnly } from '@kibitz/mesh'
export { ErrorCode, KibitzError, isKibitzError } from '@kibitz/protocol'
