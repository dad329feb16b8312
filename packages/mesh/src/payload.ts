import {
  ErrorCode,
  KibitzError,
  asBytes,
  fail,
  fromUtf8,
  ok,
  parseJson,
  stringifyJson,
  utf8,
  type JsonValue,
  type Result,
} from '@kibitz/protocol'
import type { PayloadKind } from './framing.js'
import type { Assembled, ReassemblyLimits } from './reassembly.js'

/** What `broadcast` / `sendTo` take: JSON data, or binary (any ArrayBuffer or view). */
export type MeshData = JsonValue | Uint8Array | ArrayBuffer | ArrayBufferView

/** What `onMessage` delivers: parsed JSON, or a Uint8Array for binary. */
export type MeshValue = JsonValue | Uint8Array

/**
 * Encode an outgoing value (M21): binary as a view of the caller's bytes (framing copies it once,
 * synchronously, so the caller may reuse its buffer); anything else must be plain JSON within the
 * JSON limit. Throws a typed KibitzError.
 */
export function encodePayload(
  data: unknown,
  limits: ReassemblyLimits,
): { kind: PayloadKind; bytes: Uint8Array } {
  const bin = asBytes(data)
  if (bin) {
    if (bin.byteLength > limits.maxBinaryBytes) {
      throw new KibitzError(
        ErrorCode.TOO_LARGE,
        `binary message of ${bin.byteLength} bytes; the limit is ${limits.maxBinaryBytes}`,
      )
    }
    return { kind: 'bin', bytes: bin }
  }
  const json = stringifyJson(data, { maxBytes: limits.maxJsonBytes })
  if (!json.ok) throw json.error
  return { kind: 'json', bytes: utf8(json.value) }
}

/** Decode a reassembled message. Never throws. */
export function decodePayload(message: Assembled, limits: ReassemblyLimits): Result<MeshValue> {
  if (message.kind === 'bin') return ok(message.bytes)
  let text: string
  try {
    text = fromUtf8(message.bytes)
  } catch {
    return fail(ErrorCode.BAD_MESSAGE, 'JSON message is not UTF-8')
  }
  return parseJson(text, { maxBytes: limits.maxJsonBytes })
}
