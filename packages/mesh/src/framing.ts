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

/**
 * One message cut into frames, once: every frame is a view into a single buffer, so the payload is
 * copied exactly once (this is also the snapshot that lets the caller reuse its buffer), and a
 * broadcast sends the same frames to every peer. The id is the sender's, unique among its messages.
 */
export class FramedMessage {
  readonly frames: readonly Uint8Array[]
  readonly size: number

  constructor(
    readonly kind: PayloadKind,
    bytes: Uint8Array,
    readonly id: number,
    frameBytes: number = FRAME_BYTES,
  ) {
    const size = bytes.byteLength
    this.size = size
    if (1 + size <= frameBytes) {
      const out = new Uint8Array(1 + size)
      out[0] = kind === 'json' ? FrameType.json : FrameType.bin
      out.set(bytes, 1)
      this.frames = [out]
      return
    }
    const firstTake = frameBytes - FIRST_HEADER
    const nextTake = frameBytes - NEXT_HEADER
    const nexts = Math.ceil((size - firstTake) / nextTake)
    const buffer = new Uint8Array(size + FIRST_HEADER + nexts * NEXT_HEADER)
    const view = new DataView(buffer.buffer)
    const frames: Uint8Array[] = []
    buffer[0] = FrameType.first
    buffer[1] = kind === 'json' ? FrameType.json : FrameType.bin
    view.setUint32(2, id >>> 0)
    view.setUint32(6, size)
    buffer.set(bytes.subarray(0, firstTake), FIRST_HEADER)
    frames.push(buffer.subarray(0, FIRST_HEADER + firstTake))
    let from = firstTake
    let at = FIRST_HEADER + firstTake
    while (from < size) {
      const take = Math.min(nextTake, size - from)
      buffer[at] = FrameType.next
      view.setUint32(at + 1, id >>> 0)
      buffer.set(bytes.subarray(from, from + take), at + NEXT_HEADER)
      frames.push(buffer.subarray(at, at + NEXT_HEADER + take))
      from += take
      at += NEXT_HEADER + take
    }
    this.frames = frames
  }
}

/** One peer's cursor over a {@link FramedMessage}: which frame goes out next. */
export class OutgoingMessage {
  #index = 0

  constructor(readonly message: FramedMessage) {}

  get size(): number {
    return this.message.size
  }

  get done(): boolean {
    return this.#index >= this.message.frames.length
  }

  /** Whether some frames went out (a link change restarts the message from scratch). */
  get started(): boolean {
    return this.#index > 0
  }

  restart(): void {
    this.#index = 0
  }

  /** The next frame, or null when every frame went out. */
  next(): Uint8Array | null {
    if (this.done) return null
    return this.message.frames[this.#index++]!
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
  // A whole message (the common case) needs no DataView.
  if (type === FrameType.json || type === FrameType.bin)
    return ok({ type: 'whole', kind: kindOf(type)!, bytes: frame.subarray(1) })
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  switch (type) {
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
