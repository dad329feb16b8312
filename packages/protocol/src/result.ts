import { KibitzError, type ErrorCode } from './errors.js'

/**
 * Decoders never throw: they return a Result. `ok: false` always carries a KibitzError, so callers
 * can log `error.code` and move on.
 */
export type Result<T> = { ok: true; value: T } | { ok: false; error: KibitzError }

export function ok<T>(value: T): Result<T> {
  return { ok: true, value }
}

export function fail<T = never>(code: ErrorCode, message: string, cause?: unknown): Result<T> {
  return {
    ok: false,
    error: new KibitzError(code, message, cause === undefined ? undefined : { cause }),
  }
}

/**
 * Decoded message of an open (additively evolving) union: either a known message, or a well-formed
 * envelope of a kind this build does not know, which callers must ignore.
 */
export type Decoded<T> = { known: true; message: T } | { known: false; kind: string }
