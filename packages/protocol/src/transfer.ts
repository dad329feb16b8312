import * as z from 'zod/mini'
import { asBytes, fromUtf8, utf8 } from './bytes.js'
import { ErrorCode } from './errors.js'
import { maxSize } from './fields.js'
import {
  MAX_CHUNK_BASE64_CHARS,
  MAX_FILE_NAME_CHARS,
  MAX_ID_CHARS,
  MAX_MIME_CHARS,
  MAX_TRANSFER_BYTES,
  TRANSFER_CHUNK_BYTES,
} from './limits.js'
import { fail, ok, type Result } from './result.js'

/**
 * Chunked transfer (text, images, files) over data channels: `xbegin`, then `n` chunks (JSON
 * `xchunk` with base64, or binary chunk frames), then `xend` — or `xcancel` from either side.
 * The receiver checks `i < n`, per-peer concurrency and the integrity hash; this file checks shapes.
 */

/** Transfer ids: 1..64 of `[A-Za-z0-9_-]`, so their UTF-8 form is ≤ 64 bytes (binary frame header). */
export const TransferIdSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(MAX_ID_CHARS), z.regex(/^[A-Za-z0-9_-]+$/))

export const TransferKinds = ['text', 'image', 'file'] as const
export type TransferKind = (typeof TransferKinds)[number]

/** Chunk count for a transfer of `size` bytes. */
export function transferChunkCount(size: number): number {
  return Math.ceil(size / TRANSFER_CHUNK_BYTES)
}

export const TransferBeginSchema = z
  .object({
    k: z.literal('xbegin'),
    id: TransferIdSchema,
    kind: z.enum(TransferKinds),
    /** Total bytes, ≤ MAX_TRANSFER_BYTES. */
    size: z.number().check(z.int(), z.gte(0), maxSize(MAX_TRANSFER_BYTES)),
    /** Chunk count; must equal ceil(size / TRANSFER_CHUNK_BYTES). */
    n: z.number().check(z.int(), z.gte(0)),
    mime: z.optional(z.string().check(z.maxLength(MAX_MIME_CHARS))),
    name: z.optional(z.string().check(z.maxLength(MAX_FILE_NAME_CHARS))),
    dm: z.optional(z.boolean()),
  })
  .check(
    z.refine((m) => m.n === transferChunkCount(m.size), {
      error: `n must equal ceil(size / ${TRANSFER_CHUNK_BYTES})`,
      path: ['n'],
    }),
  )

/** Standard padded base64, as `btoa` produces. */
const Base64Schema = z
  .string()
  .check(
    z.maxLength(MAX_CHUNK_BASE64_CHARS),
    z.regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/),
  )

export const TransferChunkSchema = z.object({
  k: z.literal('xchunk'),
  id: TransferIdSchema,
  /** Chunk index (the receiver checks i < n). */
  i: z.number().check(z.int(), z.gte(0), z.lte(0xffffffff)),
  /** Chunk bytes, base64 (≤ TRANSFER_CHUNK_BYTES raw). */
  data: Base64Schema,
})

export const TransferEndSchema = z.object({
  k: z.literal('xend'),
  id: TransferIdSchema,
  /** SHA-256 of the whole transfer, hex. */
  hash: z.optional(z.string().check(z.regex(/^[0-9a-fA-F]{64}$/))),
})

export const TransferCancelSchema = z.object({ k: z.literal('xcancel'), id: TransferIdSchema })

export type TransferBegin = z.infer<typeof TransferBeginSchema>
export type TransferChunk = z.infer<typeof TransferChunkSchema>
export type TransferEnd = z.infer<typeof TransferEndSchema>
export type TransferCancel = z.infer<typeof TransferCancelSchema>

// ── binary chunk frame: [idLen u8][id utf8 ≤ 64][i u32 LE][bytes] ─────────────────────────────

export interface ChunkFrame {
  id: string
  i: number
  /** A view into the decoded input (no copy). */
  bytes: Uint8Array
}

const HEADER_FIXED = 1 + 4

export function encodeChunkFrame(frame: ChunkFrame): Result<Uint8Array> {
  if (!TransferIdSchema.safeParse(frame.id).success)
    return fail(ErrorCode.BAD_MESSAGE, 'chunk frame id must match [A-Za-z0-9_-]{1,64}')
  if (!Number.isInteger(frame.i) || frame.i < 0 || frame.i > 0xffffffff)
    return fail(ErrorCode.BAD_MESSAGE, 'chunk index must be a u32')
  const bytes = asBytes(frame.bytes)
  if (!bytes) return fail(ErrorCode.BAD_MESSAGE, 'chunk bytes must be binary')
  if (bytes.byteLength > TRANSFER_CHUNK_BYTES)
    return fail(
      ErrorCode.TOO_LARGE,
      `chunk is ${bytes.byteLength} bytes; the limit is ${TRANSFER_CHUNK_BYTES}`,
    )
  const id = utf8(frame.id)
  const out = new Uint8Array(HEADER_FIXED + id.byteLength + bytes.byteLength)
  out[0] = id.byteLength
  out.set(id, 1)
  new DataView(out.buffer).setUint32(1 + id.byteLength, frame.i, true)
  out.set(bytes, HEADER_FIXED + id.byteLength)
  return ok(out)
}

/** Decode a binary chunk frame from any binary view. Never throws. */
export function decodeChunkFrame(value: unknown): Result<ChunkFrame> {
  const bytes = asBytes(value)
  if (!bytes) return fail(ErrorCode.BAD_MESSAGE, 'chunk frame is not binary')
  if (bytes.byteLength < HEADER_FIXED + 1)
    return fail(ErrorCode.BAD_MESSAGE, 'chunk frame is truncated')
  const idLen = bytes[0]!
  if (idLen === 0 || idLen > MAX_ID_CHARS)
    return fail(ErrorCode.BAD_MESSAGE, 'chunk frame id length out of range')
  if (bytes.byteLength < HEADER_FIXED + idLen)
    return fail(ErrorCode.BAD_MESSAGE, 'chunk frame is truncated')
  let id: string
  try {
    id = fromUtf8(bytes.subarray(1, 1 + idLen))
  } catch {
    return fail(ErrorCode.BAD_MESSAGE, 'chunk frame id is not UTF-8')
  }
  if (!TransferIdSchema.safeParse(id).success)
    return fail(ErrorCode.BAD_MESSAGE, 'chunk frame id has invalid characters')
  const i = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(
    1 + idLen,
    true,
  )
  const payload = bytes.subarray(HEADER_FIXED + idLen)
  if (payload.byteLength > TRANSFER_CHUNK_BYTES) {
    return fail(
      ErrorCode.TOO_LARGE,
      `chunk is ${payload.byteLength} bytes; the limit is ${TRANSFER_CHUNK_BYTES}`,
    )
  }
  return ok({ id, i, bytes: payload })
}
