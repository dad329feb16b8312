import { MAX_CAP_NAMES } from '@kibitz/protocol'
import { EMPTY_GRANT, freezeGrant, type Grant } from './grant.js'
import { cleanBackend } from './kind.js'
import { isAbsent, isRecord, readList, readOwn } from './read.js'
import { ACT, PERCEIVE, type Act, type Perceive } from './vocabulary.js'

/** Keep the known names of `list`, deduplicated, in the canonical order of `vocabulary`. */
function canonical<T extends string>(vocabulary: readonly T[], list: readonly unknown[]): T[] {
  const given = new Set<unknown>(list)
  return vocabulary.filter((name) => given.has(name))
}

/** A capability list field: absent → []; malformed or longer than MAX_CAP_NAMES → null. */
function readCaps(input: object, key: string): unknown[] | null {
  const value = readOwn(input, key)
  if (isAbsent(value) || value === undefined) return []
  return readList(value, MAX_CAP_NAMES)
}

/** A valid expiry is a positive safe integer (ms since the epoch). */
export function isValidExpiry(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0
}

/**
 * Any value → a clean, frozen Grant; never throws (SPEC C6, C7).
 * - Unknown capability names (and non-strings) are dropped; duplicates removed; canonical order.
 * - Missing `perceive` / `act` read as empty lists.
 * - Fail closed to EMPTY_GRANT: not an object; a list that is not an array or has more than
 *   MAX_CAP_NAMES entries; an `expiresAt` that is present but not a positive safe integer (dropping
 *   a bad expiry would turn a temporary grant into a permanent one).
 * - Disclosure (`backend`, `egress`) is cleaned; malformed disclosure is omitted, never fatal.
 * - Only own data properties are read: inherited values, getters and proxies cannot inject names.
 */
export function sanitizeGrant(input: unknown): Grant {
  if (!isRecord(input)) return EMPTY_GRANT
  const perceive = readCaps(input, 'perceive')
  const act = readCaps(input, 'act')
  if (perceive === null || act === null) return EMPTY_GRANT

  const grant: Grant = {
    perceive: canonical<Perceive>(PERCEIVE, perceive),
    act: canonical<Act>(ACT, act),
  }
  const expiresAt = readOwn(input, 'expiresAt')
  if (!isAbsent(expiresAt) && expiresAt !== undefined) {
    if (!isValidExpiry(expiresAt)) return EMPTY_GRANT
    grant.expiresAt = expiresAt
  }
  const backend = cleanBackend(readOwn(input, 'backend'))
  if (backend !== undefined) grant.backend = backend
  const egress = readOwn(input, 'egress')
  if (typeof egress === 'boolean') grant.egress = egress
  return freezeGrant(grant)
}
