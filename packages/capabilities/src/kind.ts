import { AGENT_DEFAULT_GRANT, FULL_GRANT, MAX_BACKEND_CHARS, type Grant } from './grant.js'
import { readOwn } from './read.js'

/**
 * Kind of participant, from its self-declared roster `meta` (SPEC C4). `meta.role === 'agent'`
 * (what the agent SDK sets) and `meta.kind === 'voice-assistant'` mark an agent; anything else —
 * including no meta at all — is a human.
 */
export function isAgent(meta: unknown): boolean {
  return readOwn(meta, 'role') === 'agent' || readOwn(meta, 'kind') === 'voice-assistant'
}

/** The grant a participant holds when the host has set nothing for it (SPEC C4). */
export function defaultGrant(meta: unknown): Grant {
  return isAgent(meta) ? AGENT_DEFAULT_GRANT : FULL_GRANT
}

/** Disclosure fields only (never privileges). */
export type Disclosure = Pick<Grant, 'backend' | 'egress'>

// C0 and C1 control characters, and the bidi overrides that could disguise a name in the host UI.
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g

/** A clean `backend` string (control characters removed, trimmed, ≤ MAX_BACKEND_CHARS) or undefined. */
export function cleanBackend(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const text = value.replace(UNSAFE_CHARS, '').trim().slice(0, MAX_BACKEND_CHARS).trim()
  return text.length > 0 ? text : undefined
}

/**
 * The disclosure a participant makes about itself in its `meta` (`backend`, `egress`), cleaned
 * (SPEC C3). Missing or malformed fields are omitted.
 */
export function disclosureOf(meta: unknown): Disclosure {
  const out: Disclosure = {}
  const backend = cleanBackend(readOwn(meta, 'backend'))
  if (backend !== undefined) out.backend = backend
  const egress = readOwn(meta, 'egress')
  if (typeof egress === 'boolean') out.egress = egress
  return out
}
