/**
 * One error type for the whole engine. Every failure that crosses a package boundary, the wire or
 * an HTTP response carries a stable SCREAMING_SNAKE `code` from {@link ErrorCode}.
 */

export const ErrorCode = {
  /** Input is not valid JSON / not an object / wrong shape for its schema. */
  BAD_MESSAGE: 'BAD_MESSAGE',
  /** A message kind this build does not know. Callers ignore it (additive evolution). */
  UNKNOWN_KIND: 'UNKNOWN_KIND',
  /** A frame, payload, name or list exceeds its limit in `limits.ts`. */
  TOO_LARGE: 'TOO_LARGE',
  /** The room id normalizes to nothing. */
  ROOM_INVALID: 'ROOM_INVALID',
  /** A sealed envelope failed to open: tampered, truncated, wrong room or wrong version. */
  ENVELOPE_INVALID: 'ENVELOPE_INVALID',
  /** WebCrypto (crypto.subtle) is not available in this runtime. */
  CRYPTO_UNAVAILABLE: 'CRYPTO_UNAVAILABLE',
  /** Broker: the per-socket token bucket is empty. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** Broker: the room tag already holds the maximum number of sockets. */
  ROOM_FULL: 'ROOM_FULL',
  /** Broker: this socket already joined the maximum number of tags. */
  TOO_MANY_ROOMS: 'TOO_MANY_ROOMS',
  /** Broker: the operation needs a joined tag. */
  NOT_IN_ROOM: 'NOT_IN_ROOM',
  /** Broker: the authority slot is held by someone else. */
  CLAIM_DENIED: 'CLAIM_DENIED',
  /** Broker: the addressed socket is not in the sender's tag (or has gone). */
  NO_SUCH_PEER: 'NO_SUCH_PEER',
  /** HTTP: missing or malformed credentials. */
  UNAUTHORIZED: 'UNAUTHORIZED',
  /** HTTP: valid credentials that do not grant this. */
  FORBIDDEN: 'FORBIDDEN',
  /** HTTP: the route does not exist. */
  NOT_FOUND: 'NOT_FOUND',
  /** A feature is not configured on this deployment (e.g. grants without a grant secret). */
  NOT_CONFIGURED: 'NOT_CONFIGURED',
  /** Something timed out. */
  TIMEOUT: 'TIMEOUT',
  /** A bug or an unexpected runtime failure; never expected from valid input. */
  INTERNAL: 'INTERNAL',
} as const

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

const ERROR_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode))

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && ERROR_CODES.has(value)
}

const BRAND = Symbol.for('kibitz.error')

/** The one error class. Recognize it across bundle copies with {@link isKibitzError}. */
export class KibitzError extends Error {
  readonly code: ErrorCode
  readonly [BRAND] = true

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'KibitzError'
    this.code = code
  }

  /** The wire form: a code and a short message only (never a stack or a cause). */
  toJSON(): WireError {
    return { code: this.code, message: this.message.slice(0, MAX_WIRE_ERROR_MESSAGE) }
  }
}

export function isKibitzError(value: unknown): value is KibitzError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true
  )
}

/** What an error looks like on the wire and in HTTP bodies. */
export interface WireError {
  code: ErrorCode
  message: string
}

const MAX_WIRE_ERROR_MESSAGE = 200

/** Rebuild a KibitzError from untrusted wire data; anything malformed becomes BAD_MESSAGE. */
export function errorFromWire(value: unknown): KibitzError {
  if (typeof value === 'object' && value !== null) {
    const { code, message } = value as Record<string, unknown>
    if (isErrorCode(code)) {
      return new KibitzError(
        code,
        typeof message === 'string' ? message.slice(0, MAX_WIRE_ERROR_MESSAGE) : code,
      )
    }
  }
  return new KibitzError(ErrorCode.BAD_MESSAGE, 'malformed error from peer')
}
