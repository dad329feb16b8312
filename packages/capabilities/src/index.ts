// The only barrel of @kibitz/capabilities: named exports only (STYLE.md), `export type` for types.

export { PERCEIVE, ACT, CAPABILITIES, isPerceive, isAct, isCapability } from './vocabulary.js'
export type { Perceive, Act, Capability } from './vocabulary.js'

export { FULL_GRANT, AGENT_DEFAULT_GRANT, EMPTY_GRANT, MAX_BACKEND_CHARS } from './grant.js'
export type { Grant } from './grant.js'

export { isAgent, defaultGrant, disclosureOf } from './kind.js'
export type { Disclosure } from './kind.js'

export { sanitizeGrant, isValidExpiry } from './sanitize.js'
export { intersectGrants, unionGrants, grantsEqual, isSubGrant, diffGrants } from './algebra.js'
export { isExpired, effectiveGrant, can } from './expiry.js'

export {
  EMPTY_GRANT_MAP,
  isGrantMapId,
  getGrant,
  grantCount,
  setGrant,
  resolveGrant,
  pruneExpired,
  sanitizeGrantMap,
  toWire,
  fromWire,
} from './grant-map.js'
export type { GrantMap } from './grant-map.js'

export {
  MEDIA_LANES,
  perceiveFor,
  actFor,
  perceiveForContent,
  actForContent,
} from './content-kinds.js'
export type { MediaLane } from './content-kinds.js'

export {
  AUDIT_KINDS,
  DEFAULT_AUDIT_LIMIT,
  MAX_AUDIT_DETAIL_CHARS,
  appendAudit,
  auditFor,
  blockedEntry,
  grantChangedEntry,
  expiredEntry,
  createAuditLog,
} from './audit.js'
export type { AuditEntry, AuditKind, AuditLog } from './audit.js'
