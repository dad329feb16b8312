import { ErrorCode, fail, ok, type Result } from '@kibitz/protocol'

/**
 * Mesh data-channel framing (M20–M23). Every data-channel message is binary: one type byte, then
 *
 *   0x01 JSON  — UTF-8 JSON text (a whole message)
 *   0x02 BIN   — raw bytes (a whole message)
 *   0x03 FIRST — kind u8 (0x01 | 0x02), id u32 BE, total u32 BE, then the first chunk
 *   0x04 NEXT  — id u32 BE, then the next chunk
 *
 * A message whose frame would exceed {@link FRAME_BYTES} is chunked: one FIRST, then NEXT frames,
 * complete when `total` bytes have arrived. Frames of one message are sent in order on a reliable
 * ordered channel; the id lets a receiver tell chunked messages apart.
 */

/** Largest data-channel message we send (every stack in use takes 64 KiB). */
export const FRAME_BYTES = 64 * 1024

export const FrameType = { json: 0x01, bin: 0x02, first: 0x03, next: 0x04 } as const
export type PayloadKind = 'json' | 'bin'

const FIRST_HEADER = 1 + 1 + 4 + 4
const NEXT_HEADER = 1 + 4

export type Frame =
  | { type: 'whole'; kind: PayloadKind; bytes: Uint8Array }
  | { type: 'first'; kind: PayloadKind; id: number; total: number; bytes: Uint8Array }
  | { type: 'next'; id: number; bytes: Uint8Array }

/** Splits one message into frames, lazily (a 50 MB message never exists twice as frames). */
export class OutgoingMessage {
  #offset = 0
  #started = false
  readonly size: number

  constructor(
    readonly kind: PayloadKind,
    readonly bytes: Uint8Array,
    readonly id: number,
    readonly frameBytes: number = FRAME_BYTES,
  ) {
    this.size = bytes.byteLength
  }

  get done(): boolean {
    return this.#started && this.#offset >= this.size
  }

  /** Whether some frames went out (a link change restarts the message from scratch). */
  get started(): boolean {
    return this.#started
  }

  restart(): void {
    this.#offset = 0
    this.#started = false
  }

  /** The next frame, or null when the message is fully framed. */
  next(): Uint8Array | null {
    if (this.done) return null
    if (!this.#started) {
      this.#started = true
      if (1 + this.size <= this.frameBytes) {
        const out = new Uint8Array(1 + this.size)
        out[0] = this.kind === 'json' ? FrameType.json : FrameType.bin
        out.set(this.bytes, 1)
        this.#offset = this.size
        return out
      }
      const take = this.frameBytes - FIRST_HEADER
      const out = new Uint8Array(FIRST_HEADER + take)
      const view = new DataView(out.buffer)
      out[0] = FrameType.first
      out[1] = this.kind === 'json' ? FrameType.json : FrameType.bin
      view.setUint32(2, this.id >>> 0)
      view.setUint32(6, this.size)
      out.set(this.bytes.subarray(0, take), FIRST_HEADER)
      this.#offset = take
      return out
    }
    const take = Math.min(this.frameBytes - NEXT_HEADER, this.size - this.#offset)
    const out = new Uint8Array(NEXT_HEADER + take)
    out[0] = FrameType.next
    new DataView(out.buffer).setUint32(1, this.id >>> 0)
    out.set(this.bytes.subarray(this.#offset, this.#offset + take), NEXT_HEADER)
    this.#offset += take
    return out
  }
}

function kindOf(byte: number | undefined): PayloadKind | null {
  return byte === FrameType.json ? 'json' : byte === FrameType.bin ? 'bin' : null
}

/** Parse one data-channel message. Never throws; payloads are views into `frame`. */
export function parseFrame(frame: Uint8Array): Result<Frame> {
  if (frame.byteLength < 1) return fail(ErrorCode.BAD_MESSAGE, 'empty frame')
  if (frame.byteLength > FRAME_BYTES)
    return fail(ErrorCode.TOO_LARGE, `frame is ${frame.byteLength} bytes; limit ${FRAME_BYTES}`)
  const type = frame[0]
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  switch (type) {
    case FrameType.json:
    case FrameType.bin:
      return ok({ type: 'whole', kind: kindOf(type)!, bytes: frame.subarray(1) })
    case FrameType.first: {
      if (frame.byteLength < FIRST_HEADER) return fail(ErrorCode.BAD_MESSAGE, 'truncated frame')
      const kind = kindOf(frame[1])
      if (!kind) return fail(ErrorCode.BAD_MESSAGE, 'unknown payload kind')
      const id = view.getUint32(2)
      const total = view.getUint32(6)
      const bytes = frame.subarray(FIRST_HEADER)
      if (bytes.byteLength > total)
        return fail(ErrorCode.BAD_MESSAGE, 'first chunk is larger than its message')
      return ok({ type: 'first', kind, id, total, bytes })
    }
    case FrameType.next:
      if (frame.byteLength < NEXT_HEADER) return fail(ErrorCode.BAD_MESSAGE, 'truncated frame')
      return ok({ type: 'next', id: view.getUint32(1), bytes: frame.subarray(NEXT_HEADER) })
    default:
      return fail(ErrorCode.BAD_MESSAGE, `unknown frame type ${type}`)
  }
}
