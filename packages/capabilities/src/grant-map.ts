import {
  ErrorCode,
  FORBIDDEN_KEYS,
  MAX_GRANTS,
  MAX_ID_CHARS,
  fail,
  ok,
  type Result,
  type GrantMap as WireGrantMap,
} from '@kibitz/protocol'
import { intersectGrants } from './algebra.js'
import { effectiveGrant, isExpired } from './expiry.js'
import { freezeGrant, type Grant } from './grant.js'
import { defaultGrant, disclosureOf } from './kind.js'
import { isRecord } from './read.js'
import { sanitizeGrant } from './sanitize.js'

/**
 * The room's grant map (SPEC C12–C16): participant id → the grant the host set for it. Only
 * explicit entries are stored; everyone else holds the default for their kind. A frozen object
 * with no prototype, so ids such as `constructor` or `toString` never hit inherited members, and
 * JSON-serializable as is.
 */
export type GrantMap = Readonly<Record<string, Grant>>

function freezeMap(entries: Iterable<readonly [string, Grant]>): GrantMap {
  const out = Object.create(null) as Record<string, Grant>
  for (const [id, grant] of entries) out[id] = grant
  return Object.freeze(out)
}

/** A map with no explicit grants: everyone holds their default. */
export const EMPTY_GRANT_MAP: GrantMap = freezeMap([])

/** A usable participant id: 1..MAX_ID_CHARS characters and not a prototype key. */
export function isGrantMapId(id: unknown): id is string {
  return (
    typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_CHARS && !FORBIDDEN_KEYS.has(id)
  )
}

/** The explicit entry for `id`, if any (own entries only). */
export function getGrant(map: GrantMap, id: string): Grant | undefined {
  return Object.hasOwn(map, id) ? map[id] : undefined
}

/** Number of explicit entries. */
export function grantCount(map: GrantMap): number {
  return Object.keys(map).length
}

/**
 * A new map with `id`'s entry set to `grant` (sanitized), or removed when `grant` is null — the
 * participant falls back to the default for its kind (C13). The input map is never changed. An
 * invalid id, or a new id when the map already holds MAX_GRANTS entries, returns `map` itself
 * (compare by identity to detect the refusal).
 */
export function setGrant(map: GrantMap, id: string, grant: Grant | null): GrantMap {
  if (!isGrantMapId(id)) return map
  const entries = Object.entries(map).filter(([key]) => key !== id)
  if (grant === null) return entries.length === grantCount(map) ? map : freezeMap(entries)
  if (entries.length >= MAX_GRANTS) return map
  entries.push([id, sanitizeGrant(grant)])
  return freezeMap(entries)
}

/**
 * The grant participant `id` holds at `now` (C14):
 * 1. an unexpired explicit entry — which may widen an agent beyond its default or narrow a human
 *    below theirs, but can never exceed FULL_GRANT (entries are sanitized to the vocabulary);
 * 2. otherwise (no entry, or the entry expired) the default for its kind, from `meta`;
 * 3. intersected with what the participant itself `requested`, if given — never more than
 *    requested; an expired result is EMPTY_GRANT;
 * 4. with the participant's own disclosure (`backend`, `egress`) from `meta` attached.
 */
export function resolveGrant(
  map: GrantMap,
  id: string,
  meta: unknown,
  now: number,
  requested?: unknown,
): Grant {
  const entry = getGrant(map, id)
  let grant = entry !== undefined && !isExpired(entry, now) ? entry : defaultGrant(meta)
  if (requested !== undefined) grant = intersectGrants(requested, grant)
  grant = effectiveGrant(grant, now)
  const { perceive, act, expiresAt } = grant
  return freezeGrant({
    perceive,
    act,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...disclosureOf(meta),
  })
}

/**
 * Drop entries expired at `now`; returns the new map and the ids whose entries lapsed (for
 * `expired` audit entries). Returns `map` itself when nothing expired (C15).
 */
export function pruneExpired(map: GrantMap, now: number): { map: GrantMap; expired: string[] } {
  const expired = Object.keys(map).filter((id) => isExpired(map[id] as Grant, now))
  if (expired.length === 0) return { map, expired }
  return {
    map: freezeMap(Object.entries(map).filter(([id]) => !expired.includes(id))),
    expired,
  }
}

/**
 * Any value → a GrantMap; never throws (C16). More than MAX_GRANTS entries, a non-object, or an
 * unreadable object fail (keep your current map); entries under prototype keys or invalid ids
 * are dropped; each grant is sanitized (a malformed one becomes EMPTY_GRANT — an explicit
 * "nothing", never the more generous default).
 */
export function sanitizeGrantMap(input: unknown): Result<GrantMap> {
  if (!isRecord(input)) return fail(ErrorCode.BAD_MESSAGE, 'a grant map must be an object')
  try {
    const keys = Object.keys(input)
    if (keys.length > MAX_GRANTS) {
      return fail(ErrorCode.TOO_LARGE, `${keys.length} grants; the limit is ${MAX_GRANTS}`)
    }
    const entries: [string, Grant][] = []
    for (const id of keys) {
      if (!isGrantMapId(id)) continue
      const desc = Object.getOwnPropertyDescriptor(input, id)
      entries.push([id, sanitizeGrant(desc && 'value' in desc ? desc.value : undefined)])
    }
    return ok(freezeMap(entries))
  } catch (cause) {
    return fail(ErrorCode.BAD_MESSAGE, 'the grant map could not be read', cause)
  }
}

/**
 * The wire form (protocol GrantMapSchema) for a `caps` message: plain objects, capability lists
 * and expiry only — disclosure travels in each participant's own meta, not in the host's map.
 */
export function toWire(map: GrantMap): WireGrantMap {
  return Object.fromEntries(
    Object.entries(map).map(([id, grant]) => [
      id,
      {
        perceive: [...grant.perceive],
        act: [...grant.act],
        ...(grant.expiresAt !== undefined ? { expiresAt: grant.expiresAt } : {}),
      },
    ]),
  )
}

/**
 * A decoded `caps` map → GrantMap: unknown capability names dropped. Protocol decoding has already
 * capped counts and lengths; anything it let through that still fails here yields an empty map.
 */
export function fromWire(wire: WireGrantMap): GrantMap {
  const result = sanitizeGrantMap(wire)
  return result.ok ? result.value : EMPTY_GRANT_MAP
}
