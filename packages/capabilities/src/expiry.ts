import { EMPTY_GRANT, type Grant } from './grant.js'
import { sanitizeGrant } from './sanitize.js'
import { isAct, isPerceive, type Capability } from './vocabulary.js'

/**
 * Time is always passed in (`now`, ms since the epoch): no clocks, no timers here (SPEC C10).
 * A grant with `expiresAt` is valid strictly before it: at `now === expiresAt` it is expired.
 */
export function isExpired(grant: Pick<Grant, 'expiresAt'>, now: number): boolean {
  return grant.expiresAt !== undefined && !(now < grant.expiresAt)
}

/** The grant as it stands at `now`: sanitized, or EMPTY_GRANT once expired (C10). */
export function effectiveGrant(grant: unknown, now: number): Grant {
  const clean = sanitizeGrant(grant)
  return isExpired(clean, now) ? EMPTY_GRANT : clean
}

/** May a holder of `grant` perceive / do `capability` at `now`? Unknown names: never (C11). */
export function can(grant: unknown, capability: Capability, now: number): boolean {
  const g = effectiveGrant(grant, now)
  if (isPerceive(capability)) return g.perceive.includes(capability)
  if (isAct(capability)) return g.act.includes(capability)
  return false
}
