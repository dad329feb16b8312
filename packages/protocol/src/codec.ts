import type * as z from 'zod/mini'
import { ErrorCode } from './errors.js'
import { sanitizeOpaque, utf8ByteLength } from './json.js'
import { MAX_JSON_DEPTH, MAX_KIND_CHARS } from './limits.js'
import { fail, ok, type Decoded, type Result } from './result.js'

/**
 * The open-union codec every plane uses (rules P2–P5 in SPEC.md):
 *
 * 1. the input is deep-copied as plain JSON under the plane's byte cap ({@link sanitizeOpaque}) —
 *    this is what makes decoding total: getters, proxies, cycles, BigInt, symbols and oversize
 *    input become typed errors before any schema runs;
 * 2. the discriminator (`t` or `k`) must be a string of 1..MAX_KIND_CHARS characters;
 * 3. a kind this build does not know decodes to `{ known: false, kind }` (ignore it);
 * 4. a known kind is parsed by its zod schema (unknown fields are stripped, never an error);
 *    size violations are TOO_LARGE, everything else BAD_MESSAGE.
 */

type AnySchema = z.ZodMiniType<object, unknown>

interface Issue {
  code?: string
  origin?: string
  maximum?: number | bigint
  path?: PropertyKey[]
  message?: string
  params?: { tooLarge?: boolean }
  errors?: Issue[][]
}

/** Zod issue → our error code: string/array/object size caps are TOO_LARGE; the rest BAD_MESSAGE. */
function isSizeIssue(issue: Issue): boolean {
  if (issue.params?.tooLarge === true) return true
  if (
    issue.code === 'too_big' &&
    (issue.origin === 'string' || issue.origin === 'array' || issue.origin === 'set')
  )
    return true
  return (
    issue.code === 'invalid_union' &&
    (issue.errors ?? []).some((branch) => branch.some(isSizeIssue))
  )
}

function describe(issue: Issue): string {
  const where = issue.path && issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'
  if (issue.code === 'too_big') return `${where}: exceeds ${String(issue.maximum)}`
  const message =
    issue.message && issue.message !== 'Invalid input' ? issue.message : (issue.code ?? 'invalid')
  return `${where}: ${message}`
}

/** Parse with a schema; never throws. `what` prefixes the error message. */
export function parseWithSchema<T>(
  schema: z.ZodMiniType<T, unknown>,
  value: unknown,
  what: string,
): Result<T> {
  try {
    const parsed = schema.safeParse(value)
    if (parsed.success) return ok(parsed.data)
    const issues = parsed.error.issues as unknown as Issue[]
    const first = issues.find(isSizeIssue) ?? issues[0]
    const code = issues.some(isSizeIssue) ? ErrorCode.TOO_LARGE : ErrorCode.BAD_MESSAGE
    return fail(code, `malformed ${what}: ${first ? describe(first) : 'invalid'}`)
  } catch (cause) {
    return fail(ErrorCode.BAD_MESSAGE, `malformed ${what}`, cause)
  }
}

export interface OpenUnionCodec<M> {
  /** The discriminator field (`t` or `k`). */
  readonly field: string
  /** Kinds this build knows. */
  readonly kinds: readonly string[]
  /** Untrusted value → known message, unknown kind, or a typed error. Never throws. */
  decode(value: unknown): Result<Decoded<M>>
  /** Validate a message before sending; returns its JSON text. Unknown kinds are BAD_MESSAGE. */
  encode(message: M): Result<string>
}

export interface OpenUnionOptions<S extends Record<string, AnySchema>> {
  /** Plane name for error messages. */
  plane: string
  field: string
  schemas: S
  /** Cap on the whole message serialized as JSON (UTF-8 bytes). */
  maxBytes: number
}

type MessageOf<S extends Record<string, AnySchema>> = { [K in keyof S]: z.output<S[K]> }[keyof S]

export function openUnion<S extends Record<string, AnySchema>>(
  options: OpenUnionOptions<S>,
): OpenUnionCodec<MessageOf<S>> {
  const { plane, field, maxBytes } = options
  const schemas = new Map<string, AnySchema>(Object.entries(options.schemas))

  const classify = (value: unknown): Result<Decoded<MessageOf<S>>> => {
    const copy = sanitizeOpaque(value, { maxBytes, maxDepth: MAX_JSON_DEPTH })
    if (!copy.ok) return copy
    const rec = copy.value
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) {
      return fail(ErrorCode.BAD_MESSAGE, `${plane} message must be a JSON object`)
    }
    const kind = rec[field]
    if (typeof kind !== 'string' || kind.length === 0 || kind.length > MAX_KIND_CHARS) {
      return fail(
        ErrorCode.BAD_MESSAGE,
        `${plane} message needs a string '${field}' of 1..${MAX_KIND_CHARS} chars`,
      )
    }
    const schema = schemas.get(kind)
    if (!schema) return ok({ known: false, kind })
    const parsed = parseWithSchema(schema, rec, `${plane} '${kind}'`)
    return parsed.ok ? ok({ known: true, message: parsed.value as MessageOf<S> }) : parsed
  }

  return {
    field,
    kinds: [...schemas.keys()],
    decode: classify,
    encode(message) {
      const decoded = classify(message)
      if (!decoded.ok) return decoded
      if (!decoded.value.known)
        return fail(
          ErrorCode.BAD_MESSAGE,
          `${plane} kind '${decoded.value.kind}' is unknown to this build`,
        )
      const text = JSON.stringify(decoded.value.message)
      const bytes = utf8ByteLength(text)
      if (bytes > maxBytes)
        return fail(
          ErrorCode.TOO_LARGE,
          `${plane} message is ${bytes} bytes; the limit is ${maxBytes}`,
        )
      return ok(text)
    },
  }
}
