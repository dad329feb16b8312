import { ErrorCode } from './errors.js'
import { MAX_JSON_DEPTH } from './limits.js'
import { fail, ok, type Result } from './result.js'

/**
 * Safe JSON for untrusted input. Nothing here throws: every function returns a {@link Result}.
 *
 * - {@link parseJson}: text → value, with a byte cap and a nesting-depth cap checked *before*
 *   `JSON.parse` runs, then sanitized like {@link sanitizeOpaque}.
 * - {@link sanitizeOpaque}: any value → a fresh deep copy made only of plain JSON data, with
 *   `__proto__` / `constructor` / `prototype` keys dropped. Getters that throw, proxies, cycles,
 *   BigInt, symbols, functions, class instances, NaN/Infinity and oversize input are all rejected
 *   with a typed error instead of a crash.
 *
 * Depth counts containers: `1` and `"x"` have depth 0, `[]` and `{}` depth 1, `[[1]]` depth 2.
 */

export type JsonPrimitive = null | boolean | number | string
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue }
export type JsonObject = { [key: string]: JsonValue }

export interface JsonLimits {
  /** Cap on the UTF-8 size of the value serialized as JSON. */
  maxBytes: number
  /** Cap on container nesting; defaults to {@link MAX_JSON_DEPTH}. */
  maxDepth?: number
}

/** Keys dropped from every object that comes off the wire (prototype-pollution vectors). */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
])

/** UTF-8 byte length of a string without allocating (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8ByteLength(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4
        i++
      } else bytes += 3
    } else bytes += 3
  }
  return bytes
}

class Reject {
  constructor(
    readonly code: ErrorCode,
    readonly message: string,
  ) {}
}

/**
 * Deep-copy plain JSON data. `undefined` object properties are omitted (as JSON does); every other
 * non-JSON value is rejected. The copy's serialized size is checked exactly at the end; while
 * copying, a lower bound of it aborts early so hostile shapes (wide shared sub-graphs, huge arrays)
 * cost at most O(maxBytes) work.
 */
export function sanitizeOpaque(value: unknown, limits: JsonLimits): Result<JsonValue> {
  const maxDepth = limits.maxDepth ?? MAX_JSON_DEPTH
  const maxBytes = limits.maxBytes
  // Lower bound of the JSON length in UTF-16 code units (every char is ≥ 1 UTF-8 byte).
  let budget = 0
  const spend = (n: number): void => {
    budget += n
    if (budget > maxBytes)
      throw new Reject(ErrorCode.TOO_LARGE, `value exceeds ${maxBytes} bytes as JSON`)
  }

  const copy = (v: unknown, depth: number): JsonValue => {
    switch (typeof v) {
      case 'string':
        spend(v.length + 2)
        return v
      case 'number':
        if (!Number.isFinite(v)) throw new Reject(ErrorCode.BAD_MESSAGE, 'non-finite number')
        spend(1)
        return v === 0 ? 0 : v
      case 'boolean':
        spend(v ? 4 : 5)
        return v
      case 'object':
        break
      default:
        throw new Reject(ErrorCode.BAD_MESSAGE, `${typeof v} is not JSON data`)
    }
    if (v === null) {
      spend(4)
      return null
    }
    if (depth >= maxDepth) throw new Reject(ErrorCode.TOO_LARGE, `nesting deeper than ${maxDepth}`)
    spend(2)
    if (Array.isArray(v)) {
      const length: unknown = v.length
      if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
        throw new Reject(ErrorCode.BAD_MESSAGE, 'malformed array')
      }
      spend(Math.max(0, length - 1)) // commas
      const out: JsonValue[] = []
      for (let i = 0; i < length; i++) {
        const item: unknown = v[i]
        if (item === undefined) throw new Reject(ErrorCode.BAD_MESSAGE, 'undefined array element')
        out.push(copy(item, depth + 1))
      }
      return out
    }
    const proto: unknown = Object.getPrototypeOf(v)
    if (proto !== Object.prototype && proto !== null) {
      throw new Reject(ErrorCode.BAD_MESSAGE, 'not a plain object')
    }
    const out: JsonObject = {}
    let first = true
    for (const key of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(key)) continue
      const item: unknown = (v as Record<string, unknown>)[key]
      if (item === undefined) continue
      spend(key.length + (first ? 3 : 4)) // "key": and a comma between members
      first = false
      out[key] = copy(item, depth + 1)
    }
    return out
  }

  try {
    const out = copy(value, 0)
    const text = JSON.stringify(out)
    const bytes = utf8ByteLength(text)
    if (bytes > maxBytes)
      return fail(ErrorCode.TOO_LARGE, `value is ${bytes} bytes as JSON; the limit is ${maxBytes}`)
    return ok(out)
  } catch (cause) {
    if (cause instanceof Reject) return fail(cause.code, cause.message)
    // A throwing getter or proxy trap, or a stack overflow from a hostile shape.
    return fail(ErrorCode.BAD_MESSAGE, 'value could not be read as plain JSON data', cause)
  }
}

/** Sanitize and require a plain object (`meta`, schema bodies). */
export function sanitizeObject(value: unknown, limits: JsonLimits): Result<JsonObject> {
  const r = sanitizeOpaque(value, limits)
  if (!r.ok) return r
  if (typeof r.value !== 'object' || r.value === null || Array.isArray(r.value)) {
    return fail(ErrorCode.BAD_MESSAGE, 'expected a JSON object')
  }
  return ok(r.value)
}

/** Nesting depth of JSON text, scanning strings correctly; stops counting past `limit`. */
function jsonTextDepth(text: string, limit: number): number {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped char
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return depth
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return 0
}

/**
 * Parse untrusted JSON text. The byte cap and the depth cap are checked before parsing; the result
 * is sanitized (forbidden keys dropped), so it is safe to spread, merge or hand to a schema.
 */
export function parseJson(text: unknown, limits: JsonLimits): Result<JsonValue> {
  if (typeof text !== 'string') return fail(ErrorCode.BAD_MESSAGE, 'JSON input must be a string')
  const maxDepth = limits.maxDepth ?? MAX_JSON_DEPTH
  // UTF-8 is never shorter than UTF-16 code units, so this rejects absurd input in O(1).
  if (text.length > limits.maxBytes)
    return fail(ErrorCode.TOO_LARGE, `JSON text exceeds ${limits.maxBytes} bytes`)
  const bytes = utf8ByteLength(text)
  if (bytes > limits.maxBytes)
    return fail(ErrorCode.TOO_LARGE, `JSON text is ${bytes} bytes; the limit is ${limits.maxBytes}`)
  if (jsonTextDepth(text, maxDepth) > maxDepth)
    return fail(ErrorCode.TOO_LARGE, `JSON nests deeper than ${maxDepth}`)
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (cause) {
    return fail(ErrorCode.BAD_MESSAGE, 'invalid JSON', cause)
  }
  // The text already met the byte cap. Re-serializing can grow numbers (`1e9` → `1000000000`), so the
  // sanitizing pass only bounds its work, with room for that growth.
  return sanitizeOpaque(parsed, { maxBytes: limits.maxBytes * 4 + 64, maxDepth })
}

/** Serialize after sanitizing: Result<string> with the same caps. */
export function stringifyJson(value: unknown, limits: JsonLimits): Result<string> {
  const r = sanitizeOpaque(value, limits)
  return r.ok ? ok(JSON.stringify(r.value)) : r
}
