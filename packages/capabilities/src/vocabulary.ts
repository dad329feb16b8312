/**
 * The capability vocabulary (SPEC C1). Wire grants carry open strings; only these names mean
 * anything to this build — everything else is dropped by `sanitizeGrant`.
 */

/** What flows *to* a participant. Canonical order = array order. */
export const PERCEIVE = [
  'see-screen',
  'hear-audio',
  'read-chat',
  'read-roster',
  'receive-directed',
] as const
export type Perceive = (typeof PERCEIVE)[number]

/** What a participant may *emit*. Canonical order = array order. */
export const ACT = ['send-chat', 'speak', 'act'] as const
export type Act = (typeof ACT)[number]

export type Capability = Perceive | Act

/** Both lists, in canonical order. */
export const CAPABILITIES: readonly Capability[] = [...PERCEIVE, ...ACT]

// Lookups go through arrays of known literals, never through object keys, so names such as
// `__proto__`, `constructor` or `toString` can never be mistaken for capabilities.
const perceiveSet: ReadonlySet<string> = new Set<string>(PERCEIVE)
const actSet: ReadonlySet<string> = new Set<string>(ACT)

export function isPerceive(name: unknown): name is Perceive {
  return typeof name === 'string' && perceiveSet.has(name)
}

export function isAct(name: unknown): name is Act {
  return typeof name === 'string' && actSet.has(name)
}

export function isCapability(name: unknown): name is Capability {
  return isPerceive(name) || isAct(name)
}
