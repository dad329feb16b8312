import { describe, expect, it } from 'vitest'
import { ErrorCode } from './errors.js'
import { MAX_ID_CHARS, TRANSFER_CHUNK_BYTES } from './limits.js'
import { expectCode } from './testing/assert.js'
import { decodeChunkFrame, encodeChunkFrame } from './transfer.js'

describe('P12 binary chunk frame [idLen u8][id][i u32 LE][bytes]', () => {
  it('has the documented layout', () => {
    const r = encodeChunkFrame({ id: 'ab', i: 0x01020304, bytes: new Uint8Array([9, 8]) })
    expect(r.ok && [...r.value]).toEqual([2, 0x61, 0x62, 4, 3, 2, 1, 9, 8])
  })

  it('round trips, including from a Buffer / offset view', () => {
    const bytes = new Uint8Array(TRANSFER_CHUNK_BYTES).map((_, i) => i & 0xff)
    const enc = encodeChunkFrame({ id: 'x'.repeat(MAX_ID_CHARS), i: 0xffffffff, bytes })
    if (!enc.ok) throw enc.error
    const padded = new Uint8Array(enc.value.length + 10)
    padded.set(enc.value, 5)
    for (const input of [
      enc.value,
      enc.value.buffer,
      padded.subarray(5, 5 + enc.value.length),
      Buffer.from(enc.value),
    ]) {
      const dec = decodeChunkFrame(input)
      if (!dec.ok) throw dec.error
      expect(dec.value.id).toBe('x'.repeat(MAX_ID_CHARS))
      expect(dec.value.i).toBe(0xffffffff)
      expect(dec.value.bytes).toEqual(bytes)
    }
  })

  it('empty payload is allowed', () => {
    const enc = encodeChunkFrame({ id: 'e', i: 0, bytes: new Uint8Array(0) })
    expect(enc.ok && decodeChunkFrame(enc.value)).toEqual({
      ok: true,
      value: { id: 'e', i: 0, bytes: new Uint8Array(0) },
    })
  })

  it('P4 limits at the edge: chunk size and id length', () => {
    expect(
      encodeChunkFrame({ id: 'a', i: 0, bytes: new Uint8Array(TRANSFER_CHUNK_BYTES) }).ok,
    ).toBe(true)
    expectCode(
      encodeChunkFrame({ id: 'a', i: 0, bytes: new Uint8Array(TRANSFER_CHUNK_BYTES + 1) }),
      ErrorCode.TOO_LARGE,
    )
    expectCode(
      encodeChunkFrame({ id: 'a'.repeat(MAX_ID_CHARS + 1), i: 0, bytes: new Uint8Array(1) }),
      ErrorCode.BAD_MESSAGE,
    )
    const over = new Uint8Array(1 + 1 + 4 + TRANSFER_CHUNK_BYTES + 1)
    over.set([1, 0x61])
    expectCode(decodeChunkFrame(over), ErrorCode.TOO_LARGE)
    expectCode(decodeChunkFrame(over.subarray(0, over.length - 1)), 'ok' as ErrorCode)
  })

  it('rejects malformed frames', () => {
    expectCode(decodeChunkFrame('text'), ErrorCode.BAD_MESSAGE)
    expectCode(decodeChunkFrame(new Uint8Array([])), ErrorCode.BAD_MESSAGE)
    expectCode(decodeChunkFrame(new Uint8Array([0, 0, 0, 0, 0])), ErrorCode.BAD_MESSAGE) // idLen 0
    expectCode(decodeChunkFrame(new Uint8Array([65, ...new Uint8Array(70)])), ErrorCode.BAD_MESSAGE) // idLen 65
    expectCode(decodeChunkFrame(new Uint8Array([3, 0x61, 0x62])), ErrorCode.BAD_MESSAGE) // truncated
    expectCode(decodeChunkFrame(new Uint8Array([1, 0xff, 0, 0, 0, 0])), ErrorCode.BAD_MESSAGE) // not UTF-8
    expectCode(decodeChunkFrame(new Uint8Array([1, 0x20, 0, 0, 0, 0])), ErrorCode.BAD_MESSAGE) // bad id char
    expectCode(
      encodeChunkFrame({ id: 'a', i: -1, bytes: new Uint8Array(0) }),
      ErrorCode.BAD_MESSAGE,
    )
    expectCode(
      encodeChunkFrame({ id: 'a', i: 2 ** 32, bytes: new Uint8Array(0) }),
      ErrorCode.BAD_MESSAGE,
    )
  })
})
