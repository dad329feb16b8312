import { ACT, PERCEIVE, type Act, type Perceive } from './vocabulary.js'

/**
 * What one participant may perceive and do (SPEC C2). Values are plain, frozen and JSON-safe.
 * `backend` / `egress` are the participant's own disclosure (which model it routes perception to,
 * and whether what it perceives leaves the end-to-end encrypted room): shown to the host, never a
 * privilege (SPEC C3).
 */
export type Grant = {
  perceive: readonly Perceive[]
  act: readonly Act[]
  /** Ms since the epoch; the grant is expired from this instant on (SPEC C10). */
  expiresAt?: number
  /** Disclosure: the model backend an agent routes perception to (informational). */
  backend?: string
  /** Disclosure: what this participant perceives leaves the room (informational). */
  egress?: boolean
}

/** Longest `backend` disclosure kept, in characters. */
export const MAX_BACKEND_CHARS = 64

/** Build a frozen grant from canonical, deduplicated lists (internal; callers pass clean data). */
export function freezeGrant(grant: Grant): Grant {
  const out: Grant = {
    perceive: Object.freeze([...grant.perceive]),
    act: Object.freeze([...grant.act]),
  }
  if (grant.expiresAt !== undefined) out.expiresAt = grant.expiresAt
  if (grant.backend !== undefined) out.backend = grant.backend
  if (grant.egress !== undefined) out.egress = grant.egress
  return Object.freeze(out)
}

/** Everything: the default for a human (SPEC C4). */
export const FULL_GRANT: Grant = freezeGrant({ perceive: PERCEIVE, act: ACT })

/** Read-only: the default for an agent — chat, roster and directed data; no media, no act (C4). */
export const AGENT_DEFAULT_GRANT: Grant = freezeGrant({
  perceive: ['read-chat', 'read-roster', 'receive-directed'],
  act: [],
})

/** Nothing at all: what bad input and expired grants become (SPEC C7, C10). */
export const EMPTY_GRANT: Grant = freezeGrant({ perceive: [], act: [] })
