import {
  ErrorCode,
  MAX_APP_PAYLOAD_BYTES,
  MAX_TRANSFER_BYTES,
  MAX_TRANSFERS_PER_PEER,
  fail,
  ok,
  type Result,
} from '@kibitz/protocol'
import { parseFrame, type PayloadKind } from './framing.js'

export interface ReassemblyLimits {
  /** Largest JSON message (UTF-8 bytes). */
  maxJsonBytes: number
  /** Largest binary message. */
  maxBinaryBytes: number
  /** Chunked messages in flight at once, per peer. */
  maxInFlight: number
  /** Sum of the declared sizes of the in-flight messages, per peer. */
  maxInFlightBytes: number
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = {
  maxJsonBytes: MAX_APP_PAYLOAD_BYTES,
  maxBinaryBytes: MAX_TRANSFER_BYTES,
  maxInFlight: MAX_TRANSFERS_PER_PEER,
  maxInFlightBytes: MAX_TRANSFER_BYTES,
}

/** A complete message off the wire: JSON text still to be parsed, or bytes. */
export type Assembled = { kind: PayloadKind; bytes: Uint8Array }

interface Partial {
  kind: PayloadKind
  total: number
  received: number
  /** The message, filled as chunks arrive (allocated on FIRST: the in-flight budget bounds it). */
  bytes: Uint8Array
}

/**
 * Reassembles one peer's frames (M22, M23). `push` returns a complete message, null while a chunked
 * message is still incomplete, or a typed error for a malformed or oversized frame (that frame, and
 * the message it belongs to, are dropped; nothing throws).
 */
export class Reassembler {
  readonly #partials = new Map<number, Partial>()
  #inFlightBytes = 0

  constructor(readonly limits: ReassemblyLimits = DEFAULT_REASSEMBLY_LIMITS) {}

  get inFlight(): number {
    return this.#partials.size
  }

  push(frame: Uint8Array): Result<Assembled | null> {
    const parsed = parseFrame(frame)
    if (!parsed.ok) return parsed
    const f = parsed.value
    if (f.type === 'whole') {
      const tooBig = this.#checkSize(f.kind, f.bytes.byteLength)
      return tooBig ?? ok({ kind: f.kind, bytes: f.bytes })
    }
    if (f.type === 'first') {
      if (this.#partials.has(f.id)) {
        this.#drop(f.id)
        return fail(ErrorCode.BAD_MESSAGE, `duplicate chunked message id ${f.id}`)
      }
      const tooBig = this.#checkSize(f.kind, f.total)
      if (tooBig) return tooBig
      // A FIRST carrying the whole message (its one chunk is all of it) needs no buffer of its own.
      if (f.bytes.byteLength === f.total) return ok({ kind: f.kind, bytes: f.bytes })
      if (this.#partials.size >= this.limits.maxInFlight)
        return fail(ErrorCode.TOO_LARGE, `more than ${this.limits.maxInFlight} chunked messages`)
      if (this.#inFlightBytes + f.total > this.limits.maxInFlightBytes)
        return fail(ErrorCode.TOO_LARGE, 'chunked messages in flight exceed the byte budget')
      const partial: Partial = {
        kind: f.kind,
        total: f.total,
        received: 0,
        bytes: new Uint8Array(f.total),
      }
      this.#partials.set(f.id, partial)
      this.#inFlightBytes += f.total
      return this.#append(f.id, partial, f.bytes)
    }
    const partial = this.#partials.get(f.id)
    if (!partial) return fail(ErrorCode.BAD_MESSAGE, `chunk of unknown message ${f.id}`)
    return this.#append(f.id, partial, f.bytes)
  }

  /** Forget everything (the link changed). */
  reset(): void {
    this.#partials.clear()
    this.#inFlightBytes = 0
  }

  #checkSize(kind: PayloadKind, size: number): Result<never> | null {
    const max = kind === 'json' ? this.limits.maxJsonBytes : this.limits.maxBinaryBytes
    return size > max
      ? fail(ErrorCode.TOO_LARGE, `${kind} message of ${size} bytes; the limit is ${max}`)
      : null
  }

  #append(id: number, partial: Partial, bytes: Uint8Array): Result<Assembled | null> {
    if (partial.received + bytes.byteLength > partial.total) {
      this.#drop(id)
      return fail(ErrorCode.BAD_MESSAGE, `message ${id} overran its declared size`)
    }
    partial.bytes.set(bytes, partial.received)
    partial.received += bytes.byteLength
    if (partial.received < partial.total) return ok(null)
    this.#drop(id)
    return ok({ kind: partial.kind, bytes: partial.bytes })
  }

  #drop(id: number): void {
    const partial = this.#partials.get(id)
    if (!partial) return
    this.#partials.delete(id)
    this.#inFlightBytes -= partial.total
  }
}
