import { freezeGrant, type Grant } from './grant.js'
import { sanitizeGrant } from './sanitize.js'
import { ACT, PERCEIVE, type Act, type Capability, type Perceive } from './vocabulary.js'

/**
 * Grant algebra (SPEC C8, C9). Inputs are sanitized first, so every operation is total and returns
 * a canonical, frozen grant. Results carry privileges and expiry only: disclosure is not a
 * privilege and has no meet or join (resolveGrant re-attaches it from the participant's meta).
 */

/** The earlier of two expiries; undefined means "never". */
function earlier(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return Math.min(a, b)
}

function build(perceive: readonly Perceive[], act: readonly Act[], expiresAt?: number): Grant {
  const grant: Grant = { perceive, act }
  if (expiresAt !== undefined) grant.expiresAt = expiresAt
  return freezeGrant(grant)
}

/**
 * What both grants allow — never more than either (C8). Expiry is the earlier one. Use it as
 * `intersectGrants(requested, allowed)`: a participant never gets more than it asked for, nor more
 * than it is allowed. Commutative, associative, idempotent.
 */
export function intersectGrants(a: unknown, b: unknown): Grant {
  const x = sanitizeGrant(a)
  const y = sanitizeGrant(b)
  return build(
    PERCEIVE.filter((c) => x.perceive.includes(c) && y.perceive.includes(c)),
    ACT.filter((c) => x.act.includes(c) && y.act.includes(c)),
    earlier(x.expiresAt, y.expiresAt),
  )
}

/**
 * What either grant allows (C9). A single grant has a single expiry, so the union lives only as
 * long as the shorter-lived input: it never allows, at any instant, something neither input allows
 * then. Take `effectiveGrant` of each input first to drop an already expired one. Commutative,
 * associative, idempotent.
 */
export function unionGrants(a: unknown, b: unknown): Grant {
  const x = sanitizeGrant(a)
  const y = sanitizeGrant(b)
  return build(
    PERCEIVE.filter((c) => x.perceive.includes(c) || y.perceive.includes(c)),
    ACT.filter((c) => x.act.includes(c) || y.act.includes(c)),
    earlier(x.expiresAt, y.expiresAt),
  )
}

/** Same capabilities, expiry and disclosure, after sanitizing both. */
export function grantsEqual(a: unknown, b: unknown): boolean {
  const x = sanitizeGrant(a)
  const y = sanitizeGrant(b)
  return (
    x.perceive.length === y.perceive.length &&
    x.perceive.every((c, i) => y.perceive[i] === c) &&
    x.act.length === y.act.length &&
    x.act.every((c, i) => y.act[i] === c) &&
    x.expiresAt === y.expiresAt &&
    x.backend === y.backend &&
    x.egress === y.egress
  )
}

/** `a` allows nothing `b` does not, and does not outlive it. */
export function isSubGrant(a: unknown, b: unknown): boolean {
  const x = sanitizeGrant(a)
  const y = sanitizeGrant(b)
  const outlives =
    y.expiresAt !== undefined && (x.expiresAt === undefined || x.expiresAt > y.expiresAt)
  return (
    !outlives &&
    x.perceive.every((c) => y.perceive.includes(c)) &&
    x.act.every((c) => y.act.includes(c))
  )
}

/** Capabilities `after` adds to and removes from `before` (for audit entries and consent UIs). */
export function diffGrants(
  before: unknown,
  after: unknown,
): { added: Capability[]; removed: Capability[] } {
  const x = sanitizeGrant(before)
  const y = sanitizeGrant(after)
  const had: Capability[] = [...x.perceive, ...x.act]
  const has: Capability[] = [...y.perceive, ...y.act]
  return {
    added: has.filter((c) => !had.includes(c)),
    removed: had.filter((c) => !has.includes(c)),
  }
}
