import { ErrorCode } from './errors.js'
import { MAX_ROOM_CHARS } from './limits.js'
import { fail, ok, type Result } from './result.js'

/**
 * Normalize a room id from a link: lowercase; every run of characters other than a–z and 0–9
 * becomes one `-`; leading and trailing `-` are trimmed; at most {@link MAX_ROOM_CHARS} characters.
 * `'  My Room!! 42 '` → `'my-room-42'`. A room that normalizes to nothing is ROOM_INVALID.
 */
export function normalizeRoomId(input: unknown): Result<string> {
  if (typeof input !== 'string') return fail(ErrorCode.ROOM_INVALID, 'room id must be a string')
  // Cap the work on absurd inputs before the regex runs; 4× the cap keeps every meaningful prefix.
  const room = input
    .slice(0, MAX_ROOM_CHARS * 4)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, MAX_ROOM_CHARS)
    .replace(/-+$/, '')
  if (room === '') return fail(ErrorCode.ROOM_INVALID, 'room id is empty after normalization')
  return ok(room)
}

const ROOM_CODE_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz'

/**
 * A fresh unguessable room id: `room-` + `length` base-36 characters drawn without modulo bias
 * (10 characters ≈ 52 bits).
 */
export function createRoomId(length = 10, prefix = 'room-'): string {
  const out: string[] = []
  const buf = new Uint8Array(length * 2)
  while (out.length < length) {
    globalThis.crypto.getRandomValues(buf)
    for (const byte of buf) {
      // 252 = 7 × 36: reject the top 4 values so every character is equally likely.
      if (byte < 252 && out.length < length) out.push(ROOM_CODE_ALPHABET[byte % 36]!)
    }
  }
  return prefix + out.join('')
}
