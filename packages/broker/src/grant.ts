import { createHash, timingSafeEqual } from 'node:crypto'
import { SignJWT, jwtVerify } from 'jose'
import { ErrorCode, KibitzError } from '@kibitz/protocol'

/**
 * License keys and room grants.
 *
 * A license key is an opaque bearer token sold by the operator; the broker only compares it against
 * its configured list. Anywhere a key must be named (TURN usernames, grant subjects, logs) the
 * broker uses its *license tag*: the first 16 characters of base64url(SHA-256(key)).
 *
 * A room grant is a short-lived JWT (HS256, signed with the grant secret) that lets everyone holding
 * an invite link use the sponsor's TURN tier in one room. Its `room` claim is the room TAG — the
 * base64url HKDF output the broker routes on — never the room name, which the broker never learns.
 */

/** Header `typ`, issuer and audience pin a grant so no other HS256 token can pass for one. */
export const GRANT_TYP = 'kibitz-room-grant+jwt'
export const GRANT_ISSUER = 'kibitz-broker'
export const GRANT_AUDIENCE = 'kibitz:turn'
export const DEFAULT_GRANT_TTL_SECONDS = 600
/** Longest lifetime the broker will mint, whatever the configuration says (24 hours). */
export const MAX_GRANT_TTL_SECONDS = 24 * 3600
/** Longest grant string accepted from a client. */
export const MAX_GRANT_CHARS = 2048

/** A room tag: base64url of 32 bytes, 43 characters, no padding. */
export const ROOM_TAG_RE = /^[A-Za-z0-9_-]{43}$/
const LICENSE_TAG_RE = /^[A-Za-z0-9_-]{1,64}$/

export function licenseTag(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('base64url').slice(0, 16)
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest()

/**
 * A set of license keys checked in constant time: both sides are hashed to 32 bytes and every
 * configured key is compared, so neither the length nor the position of a match leaks.
 */
export class LicenseKeys {
  readonly #digests: Buffer[]

  constructor(keys: readonly string[]) {
    this.#digests = [...new Set(keys.map((k) => k.trim()).filter((k) => k !== ''))].map(digest)
  }

  get size(): number {
    return this.#digests.length
  }

  has(candidate: string): boolean {
    const d = digest(candidate)
    let found = false
    for (const known of this.#digests) found = timingSafeEqual(known, d) || found
    return found
  }
}

export interface RoomGrantClaims {
  room: string
  sub: string
  iat: number
  exp: number
}

const secretKey = (secret: string): Uint8Array => new TextEncoder().encode(secret)

/** Sign a grant for `room` (a tag) sponsored by `sub` (a license tag). */
export async function mintGrant(
  secret: string,
  room: string,
  sub: string,
  ttlSeconds: number,
  nowMs: number,
): Promise<{ grant: string; exp: number }> {
  const iat = Math.floor(nowMs / 1000)
  const ttl = Math.min(
    MAX_GRANT_TTL_SECONDS,
    Math.max(1, Math.floor(ttlSeconds) || DEFAULT_GRANT_TTL_SECONDS),
  )
  const exp = iat + ttl
  const grant = await new SignJWT({ room })
    .setProtectedHeader({ alg: 'HS256', typ: GRANT_TYP })
    .setIssuer(GRANT_ISSUER)
    .setAudience(GRANT_AUDIENCE)
    .setSubject(sub)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(secretKey(secret))
  return { grant, exp }
}

/**
 * Verify a grant: signature (HS256 only), `typ`, issuer, audience, `exp` against the injected clock
 * (no leeway), and the shape of `room` and `sub`. Every failure is an UNAUTHORIZED KibitzError with
 * a short reason; nothing else is thrown.
 */
export async function verifyGrant(
  secret: string,
  grant: string,
  nowMs: number,
): Promise<RoomGrantClaims> {
  if (grant.length === 0 || grant.length > MAX_GRANT_CHARS) {
    throw new KibitzError(ErrorCode.UNAUTHORIZED, 'grant is empty or too long')
  }
  let payload: Record<string, unknown>
  try {
    const verified = await jwtVerify(grant, secretKey(secret), {
      algorithms: ['HS256'],
      typ: GRANT_TYP,
      issuer: GRANT_ISSUER,
      audience: GRANT_AUDIENCE,
      requiredClaims: ['room', 'sub', 'iat', 'exp'],
      currentDate: new Date(nowMs),
      clockTolerance: 0,
    })
    payload = verified.payload as Record<string, unknown>
  } catch (cause) {
    const expired = (cause as { code?: unknown } | null)?.code === 'ERR_JWT_EXPIRED'
    throw new KibitzError(ErrorCode.UNAUTHORIZED, expired ? 'grant expired' : 'grant invalid', {
      cause,
    })
  }
  const { room, sub, iat, exp } = payload
  if (
    typeof room !== 'string' ||
    !ROOM_TAG_RE.test(room) ||
    typeof sub !== 'string' ||
    !LICENSE_TAG_RE.test(sub) ||
    typeof iat !== 'number' ||
    typeof exp !== 'number'
  ) {
    throw new KibitzError(ErrorCode.UNAUTHORIZED, 'grant claims malformed')
  }
  return { room, sub, iat, exp }
}
