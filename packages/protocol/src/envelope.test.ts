import { createCipheriv, hkdfSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { utf8 } from './bytes.js'
import {
  ENVELOPE_VERSION,
  MAX_SEALED_PLAINTEXT_BYTES,
  MIN_ENVELOPE_BYTES,
  deriveRoomKeys,
  open,
  openJson,
  seal,
  sealJson,
  type RoomKeys,
} from './envelope.js'
import { ErrorCode } from './errors.js'
import {
  ENVELOPE_OVERHEAD_BYTES,
  MAX_BROKER_FRAME_BYTES,
  MAX_SEALED_MESSAGE_BYTES,
  ROOM_TAG_CHARS,
} from './limits.js'
import { expectCode } from './testing/assert.js'
import { FROZEN_TAGS } from './testing/vectors.js'

async function keys(room: string): Promise<RoomKeys> {
  const r = await deriveRoomKeys(room)
  if (!r.ok) throw r.error
  return r.value
}

async function sealed(k: RoomKeys, text: string): Promise<Uint8Array> {
  const r = await seal(k, utf8(text))
  if (!r.ok) throw r.error
  return r.value
}

describe('P10 room keys', () => {
  it.each(FROZEN_TAGS)('frozen tag of %j', async (room, tag) => {
    const k = await keys(room)
    expect(k.tag).toBe(tag)
    expect(k.tag).toHaveLength(ROOM_TAG_CHARS)
  })

  it('matches an independent HKDF (node:crypto) for the tag', async () => {
    for (const [room, tag] of FROZEN_TAGS) {
      const bits = hkdfSync('sha256', room, 'kibitz/room/v1', 'kibitz room tag v1', 32)
      expect(Buffer.from(bits).toString('base64url')).toBe(tag)
    }
  })

  it('normalized-equal room names give the same tag', async () => {
    const a = await keys('  My Room!! 42 ')
    const b = await keys('my-room-42')
    const c = await keys('MY_ROOM_42')
    expect(a.tag).toBe(b.tag)
    expect(c.tag).toBe(b.tag)
    expect(a.room).toBe('my-room-42')
  })

  it('an empty room is ROOM_INVALID', async () => {
    expectCode(await deriveRoomKeys('!!!'), ErrorCode.ROOM_INVALID)
  })

  it('the limits agree with the envelope layout', () => {
    expect(MIN_ENVELOPE_BYTES).toBe(ENVELOPE_OVERHEAD_BYTES)
    expect(MAX_SEALED_PLAINTEXT_BYTES).toBe(MAX_SEALED_MESSAGE_BYTES)
  })
})

describe('P11 seal / open', () => {
  it('round trips bytes and JSON; every seal uses a fresh IV', async () => {
    const k = await keys('room-a')
    const a = await sealed(k, 'hello')
    const b = await sealed(k, 'hello')
    expect(a[0]).toBe(ENVELOPE_VERSION)
    expect(a.length).toBe(MIN_ENVELOPE_BYTES + 5)
    expect(a).not.toEqual(b)
    const opened = await open(k, a)
    expect(opened.ok && new TextDecoder().decode(opened.value)).toBe('hello')
    const j = await sealJson(k, { t: 'ping', n: [1, 2] })
    expect(j.ok && (await openJson(k, j.value))).toEqual({
      ok: true,
      value: { t: 'ping', n: [1, 2] },
    })
  })

  it('opens an envelope sealed by an independent implementation (node:crypto, frozen IV)', async () => {
    const room = 'room-3f9k2mq7p1'
    const k = await keys(room)
    const key = Buffer.from(hkdfSync('sha256', room, 'kibitz/room/v1', 'kibitz room key v1', 32))
    const iv = Buffer.alloc(12, 7)
    const cipher = createCipheriv('aes-256-gcm', key, iv)
    cipher.setAAD(Buffer.concat([Buffer.from('kibitz-env'), Buffer.from([1]), Buffer.from(k.tag)]))
    const ct = Buffer.concat([cipher.update('{"t":"ping"}'), cipher.final(), cipher.getAuthTag()])
    const env = new Uint8Array(Buffer.concat([Buffer.from([1]), iv, ct]))
    expect(await openJson(k, env)).toEqual({ ok: true, value: { t: 'ping' } })
  })

  it('a tampered byte anywhere is ENVELOPE_INVALID', async () => {
    const k = await keys('room-a')
    const env = await sealed(k, 'secret payload')
    for (let i = 1; i < env.length; i++) {
      const bad = env.slice()
      bad[i]! ^= 0x01
      expectCode(await open(k, bad), ErrorCode.ENVELOPE_INVALID)
    }
  })

  it('truncated, wrong version, other room, non-binary → ENVELOPE_INVALID', async () => {
    const k = await keys('room-a')
    const other = await keys('room-b')
    const env = await sealed(k, 'x')
    expectCode(await open(k, env.subarray(0, env.length - 1)), ErrorCode.ENVELOPE_INVALID)
    expectCode(await open(k, env.subarray(0, MIN_ENVELOPE_BYTES - 1)), ErrorCode.ENVELOPE_INVALID)
    expectCode(await open(k, new Uint8Array(0)), ErrorCode.ENVELOPE_INVALID)
    const v2 = env.slice()
    v2[0] = 2
    expectCode(await open(k, v2), ErrorCode.ENVELOPE_INVALID)
    expectCode(await open(other, env), ErrorCode.ENVELOPE_INVALID)
    for (const v of ['string', 42, null, undefined, {}, [1, 2, 3], { byteLength: 40 }]) {
      expectCode(await open(k, v), ErrorCode.ENVELOPE_INVALID)
    }
    // any binary view is accepted
    expect((await open(k, Buffer.from(env))).ok).toBe(true)
    expect(
      (await open(k, env.buffer.slice(env.byteOffset, env.byteOffset + env.byteLength))).ok,
    ).toBe(true)
  })

  it('P4 oversize is TOO_LARGE at the edge', async () => {
    const k = await keys('room-a')
    const max = await seal(k, new Uint8Array(MAX_SEALED_PLAINTEXT_BYTES))
    expect(max.ok && max.value.length).toBe(MAX_BROKER_FRAME_BYTES)
    expectCode(await seal(k, new Uint8Array(MAX_SEALED_PLAINTEXT_BYTES + 1)), ErrorCode.TOO_LARGE)
    expectCode(await open(k, new Uint8Array(MAX_BROKER_FRAME_BYTES + 1)), ErrorCode.TOO_LARGE)
  })

  it('openJson: a sealed non-JSON body is BAD_MESSAGE', async () => {
    const k = await keys('room-a')
    expectCode(await openJson(k, await sealed(k, '{nope')), ErrorCode.BAD_MESSAGE)
    const bin = await seal(k, new Uint8Array([0xff, 0xfe]))
    expectCode(bin.ok ? await openJson(k, bin.value) : bin, ErrorCode.BAD_MESSAGE)
  })
})
