/**
 * Seeded randomness for deterministic tests: the same seed gives the same sequence on every run
 * and every platform (32-bit integer arithmetic only).
 */

/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type Random = () => number

/**
 * A small, fast PRNG (mulberry32: a 32-bit state advanced by a Weyl sequence, then mixed).
 * Good enough for scheduling tests; not for cryptography.
 */
export function createSeededRandom(seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let z = state
    z = Math.imul(z ^ (z >>> 15), z | 1)
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61)
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296
  }
}

/** A uniform integer in [min, max] (both inclusive). */
export function randomInt(random: Random, min: number, max: number): number {
  const lo = Math.ceil(Math.min(min, max))
  const hi = Math.floor(Math.max(min, max))
  return lo + Math.floor(random() * (hi - lo + 1))
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** A random id shaped like a socket.io socket id (20 chars of base64url). */
export function randomId(random: Random, length = 20): string {
  let out = ''
  for (let i = 0; i < length; i++) out += ID_ALPHABET[Math.floor(random() * 64)]
  return out
}
