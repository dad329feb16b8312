/**
 * Reading untrusted values without trusting them: own data properties only (inherited values —
 * a polluted `Object.prototype` — and getters are never consulted), and nothing here throws.
 */

const ABSENT = Symbol('absent')
export type Absent = typeof ABSENT

export function isAbsent(value: unknown): value is Absent {
  return value === ABSENT
}

/** A plain-ish object (not null, not an array). */
export function isRecord(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The own data property `key` of `value`, or ABSENT (missing, inherited, accessor, or a trap threw). */
export function readOwn(value: unknown, key: string): unknown {
  if (!isRecord(value)) return ABSENT
  try {
    const desc = Object.getOwnPropertyDescriptor(value, key)
    if (!desc || !('value' in desc)) return ABSENT
    return desc.value
  } catch {
    return ABSENT
  }
}

/**
 * The elements of an untrusted array of at most `max` entries, or null when `value` is not an array,
 * is longer than `max`, or cannot be read. Holes and accessors read as undefined.
 */
export function readList(value: unknown, max: number): unknown[] | null {
  try {
    if (!Array.isArray(value)) return null
    const lengthDesc = Object.getOwnPropertyDescriptor(value, 'length')
    const length: unknown = lengthDesc && 'value' in lengthDesc ? lengthDesc.value : undefined
    if (typeof length !== 'number' || length > max) return null
    const out: unknown[] = []
    for (let i = 0; i < length; i++) {
      const desc = Object.getOwnPropertyDescriptor(value, i)
      out.push(desc && 'value' in desc ? desc.value : undefined)
    }
    return out
  } catch {
    return null
  }
}
