import * as z from 'zod/mini'
import { sanitizeOpaque, type JsonObject, type JsonValue } from './json.js'
import {
  MAX_AVATAR_CHARS,
  MAX_FEATURE_TAG_CHARS,
  MAX_FEATURE_TAGS,
  MAX_ID_CHARS,
  MAX_IDENTITY_CHARS,
  MAX_JSON_DEPTH,
  MAX_NAME_CHARS,
  MAX_SEMVER_CHARS,
  MAX_TOKEN_CHARS,
} from './limits.js'

/** Field schemas shared by several planes. */

/** A display name (0..MAX_NAME_CHARS; the UI trims and clamps before sending). */
export const NameSchema = z.string().check(z.maxLength(MAX_NAME_CHARS))
/** An avatar: an emoji or short tag; '' means initials. */
export const AvatarSchema = z.string().check(z.maxLength(MAX_AVATAR_CHARS))
/** A generic id (message id, stroke id): 1..MAX_ID_CHARS characters. */
export const IdSchema = z.string().check(z.minLength(1), z.maxLength(MAX_ID_CHARS))
/** A stable identity token (per tab or per verified identity). */
export const IdentitySchema = z.string().check(z.minLength(1), z.maxLength(MAX_IDENTITY_CHARS))
/** An opaque credential string (JWT, JWS, signed host command): 1..MAX_TOKEN_CHARS. */
export const TokenSchema = z.string().check(z.minLength(1), z.maxLength(MAX_TOKEN_CHARS))
/** A compact JWS/JWT: three base64url segments (signature may be empty only for `alg: none`, which verifiers reject). */
export const JwtSchema = z
  .string()
  .check(z.maxLength(MAX_TOKEN_CHARS), z.regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/))
/** A finite, non-negative timestamp in milliseconds since the epoch. */
export const TimestampSchema = z.number().check(z.int(), z.gte(0))
/** A non-negative safe integer (counters, sequence numbers, link generations). */
export const CounterSchema = z.number().check(z.int(), z.gte(0))

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/
export const SemverSchema = z.string().check(z.maxLength(MAX_SEMVER_CHARS), z.regex(SEMVER))
export const FeatureTagSchema = z.string().check(z.minLength(1), z.maxLength(MAX_FEATURE_TAG_CHARS))

/** The engine block every participant advertises (feature negotiation rides the roster). */
export const EngineInfoSchema = z.object({
  /** Engine SemVer. */
  v: SemverSchema,
  /** PROTOCOL_VERSION of the sender. */
  p: z.number().check(z.int(), z.gte(1), z.lte(0xffff)),
  /** Feature tags (see `Feature` in version.ts), ≤ MAX_FEATURE_TAGS. */
  f: z.array(FeatureTagSchema).check(z.maxLength(MAX_FEATURE_TAGS)),
  /** Optional build id. */
  b: z.optional(z.string().check(z.maxLength(MAX_ID_CHARS))),
})
export type EngineInfo = z.infer<typeof EngineInfoSchema>

/**
 * Opaque JSON under a byte cap: plain data only, `__proto__`/`constructor`/`prototype` dropped by
 * the codec's sanitizing pass. Oversize is TOO_LARGE. With `objectOnly`, arrays/primitives fail.
 */
export function opaqueJson(maxBytes: number, objectOnly: true): z.ZodMiniType<JsonObject, unknown>
export function opaqueJson(maxBytes: number, objectOnly?: false): z.ZodMiniType<JsonValue, unknown>
export function opaqueJson(
  maxBytes: number,
  objectOnly = false,
): z.ZodMiniType<JsonValue, unknown> {
  return z.custom<JsonValue>().check(
    z.superRefine((value, ctx) => {
      const r = sanitizeOpaque(value, { maxBytes, maxDepth: MAX_JSON_DEPTH })
      if (!r.ok) {
        ctx.addIssue({
          code: 'custom',
          message: r.error.message,
          input: value,
          params: { tooLarge: r.error.code === 'TOO_LARGE' },
        })
      } else if (
        objectOnly &&
        (typeof r.value !== 'object' || r.value === null || Array.isArray(r.value))
      ) {
        ctx.addIssue({ code: 'custom', message: 'expected a JSON object', input: value })
      }
    }),
  )
}

/** An upper bound on a number that is a *size* (violations are TOO_LARGE, not BAD_MESSAGE). */
export function maxSize(limit: number) {
  return z.superRefine<number>((value, ctx) => {
    if (value > limit)
      ctx.addIssue({
        code: 'custom',
        message: `exceeds ${limit}`,
        input: value,
        params: { tooLarge: true },
      })
  })
}
