import { asBytes, fromUtf8, utf8 } from './bytes.js'
import { ErrorCode } from './errors.js'
import { MAX_JSON_DEPTH } from './limits.js'
import { fail, ok, type Result } from './result.js'

/**
 * The broker's packet framing: one socket.io packet = ONE binary WebSocket message.
 *
 * socket.io's default parser sends an event that carries binary as a text header plus one extra
 * message per attachment, which costs a syscall each and dominated the broker's relay profile
 * (bench/RESULTS.md). Every broker client and the broker itself pass {@link brokerParser} as
 * socket.io's `parser` option instead. Layout (little-endian):
 *
 * ```
 * [u8  version<<4 | packet type]   version 1; type = socket.io PacketType 0..6
 * [u32 ack id]                     0xFFFFFFFF = none
 * [u8  nsp length][nsp utf8]       length 0 = "/"
 * [u8  attachment count]           ≤ MAX_ATTACHMENTS
 * [u32 length] × count             attachment sizes
 * [attachment bytes] × count
 * [utf8 JSON of data]              rest of the message; empty = no data; every binary value is
 *                                  replaced by {"_placeholder":true,"num":i}
 * ```
 */

export const BROKER_CODEC_VERSION = 1
/** socket.io's packet types (socket.io-parser `PacketType`). */
export const PacketType = {
  CONNECT: 0,
  DISCONNECT: 1,
  EVENT: 2,
  ACK: 3,
  CONNECT_ERROR: 4,
  BINARY_EVENT: 5,
  BINARY_ACK: 6,
} as const

export interface BrokerPacket {
  type: number
  nsp: string
  data?: unknown
  id?: number
}

const NO_ID = 0xffffffff
const MAX_ATTACHMENTS = 16
const MAX_NSP_BYTES = 255

function isBinary(value: unknown): value is ArrayBuffer | ArrayBufferView {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value)
}

/** Replace binary values by placeholders (depth-capped); collects the attachments. */
function deconstruct(value: unknown, out: Uint8Array[], depth: number): unknown {
  if (value === null || typeof value !== 'object') return value
  if (isBinary(value)) {
    const bytes = asBytes(value)
    if (!bytes) throw new TypeError('unsupported binary view')
    out.push(bytes)
    return { _placeholder: true, num: out.length - 1 }
  }
  if (depth >= MAX_JSON_DEPTH) throw new RangeError('packet data nests too deeply')
  if (Array.isArray(value)) return value.map((v) => deconstruct(v, out, depth + 1))
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(value)) {
    copy[key] = deconstruct((value as Record<string, unknown>)[key], out, depth + 1)
  }
  return copy
}

/** Encode one packet. Throws on values JSON cannot carry (socket.io's encoder contract). */
export function encodeBrokerPacket(packet: BrokerPacket): Uint8Array<ArrayBuffer> {
  const attachments: Uint8Array[] = []
  const data = packet.data === undefined ? undefined : deconstruct(packet.data, attachments, 0)
  if (attachments.length > MAX_ATTACHMENTS) throw new RangeError('too many binary attachments')
  const json = data === undefined ? new Uint8Array(0) : utf8(JSON.stringify(data))
  const nsp = packet.nsp === '/' || packet.nsp === undefined ? new Uint8Array(0) : utf8(packet.nsp)
  if (nsp.length > MAX_NSP_BYTES) throw new RangeError('namespace too long')
  let size = 1 + 4 + 1 + nsp.length + 1 + 4 * attachments.length + json.length
  for (const a of attachments) size += a.byteLength
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  let o = 0
  out[o++] = (BROKER_CODEC_VERSION << 4) | (packet.type & 0x0f)
  view.setUint32(o, packet.id ?? NO_ID, true)
  o += 4
  out[o++] = nsp.length
  out.set(nsp, o)
  o += nsp.length
  out[o++] = attachments.length
  for (const a of attachments) {
    view.setUint32(o, a.byteLength, true)
    o += 4
  }
  for (const a of attachments) {
    out.set(a, o)
    o += a.byteLength
  }
  out.set(json, o)
  return out
}

function reconstruct(value: unknown, attachments: Uint8Array[], depth: number): unknown {
  if (value === null || typeof value !== 'object') return value
  if (depth > MAX_JSON_DEPTH) throw new RangeError('packet data nests too deeply')
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = reconstruct(value[i], attachments, depth + 1)
    return value
  }
  const rec = value as Record<string, unknown>
  if (rec._placeholder === true) {
    const num = rec.num
    if (typeof num !== 'number' || !Number.isInteger(num) || num < 0 || num >= attachments.length) {
      throw new RangeError('placeholder points at no attachment')
    }
    return attachments[num]
  }
  for (const key of Object.keys(rec)) rec[key] = reconstruct(rec[key], attachments, depth + 1)
  return rec
}

/** socket.io's own validity rules per packet type. */
function validPayload(type: number, data: unknown): boolean {
  switch (type) {
    case PacketType.CONNECT:
      return (
        data === undefined || (typeof data === 'object' && data !== null && !Array.isArray(data))
      )
    case PacketType.DISCONNECT:
      return data === undefined
    case PacketType.CONNECT_ERROR:
      return typeof data === 'string' || (typeof data === 'object' && data !== null)
    case PacketType.EVENT:
    case PacketType.BINARY_EVENT:
      return (
        Array.isArray(data) &&
        (typeof data[0] === 'string' || (typeof data[0] === 'number' && data.length > 0))
      )
    case PacketType.ACK:
    case PacketType.BINARY_ACK:
      return Array.isArray(data)
    default:
      return false
  }
}

/** Decode one message from the wire. Never throws. */
export function decodeBrokerPacket(message: unknown): Result<BrokerPacket> {
  const bytes = asBytes(message)
  if (!bytes) return fail(ErrorCode.BAD_MESSAGE, 'broker packets are binary')
  try {
    if (bytes.byteLength < 7) return fail(ErrorCode.BAD_MESSAGE, 'broker packet is truncated')
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    let o = 0
    const head = bytes[o++]!
    if (head >> 4 !== BROKER_CODEC_VERSION) {
      return fail(ErrorCode.BAD_MESSAGE, `unsupported broker codec version ${head >> 4}`)
    }
    const type = head & 0x0f
    const rawId = view.getUint32(o, true)
    o += 4
    const nspLen = bytes[o++]!
    if (o + nspLen + 1 > bytes.byteLength)
      return fail(ErrorCode.BAD_MESSAGE, 'broker packet is truncated')
    const nsp = nspLen === 0 ? '/' : fromUtf8(bytes.subarray(o, o + nspLen))
    o += nspLen
    if (!nsp.startsWith('/')) return fail(ErrorCode.BAD_MESSAGE, 'namespace must start with /')
    const count = bytes[o++]!
    if (count > MAX_ATTACHMENTS) return fail(ErrorCode.BAD_MESSAGE, 'too many attachments')
    if (o + 4 * count > bytes.byteLength)
      return fail(ErrorCode.BAD_MESSAGE, 'broker packet is truncated')
    const lengths: number[] = []
    for (let i = 0; i < count; i++) {
      lengths.push(view.getUint32(o, true))
      o += 4
    }
    const attachments: Uint8Array[] = []
    for (const len of lengths) {
      if (o + len > bytes.byteLength)
        return fail(ErrorCode.BAD_MESSAGE, 'attachment overruns the packet')
      attachments.push(bytes.subarray(o, o + len))
      o += len
    }
    let data: unknown
    if (o < bytes.byteLength) {
      data = JSON.parse(fromUtf8(bytes.subarray(o)))
      if (count > 0) data = reconstruct(data, attachments, 0)
    } else if (count > 0) {
      return fail(ErrorCode.BAD_MESSAGE, 'attachments without data')
    }
    if (!validPayload(type, data))
      return fail(ErrorCode.BAD_MESSAGE, `invalid payload for packet type ${type}`)
    const packet: BrokerPacket = { type, nsp, data }
    if (rawId !== NO_ID) packet.id = rawId
    return ok(packet)
  } catch (cause) {
    return fail(ErrorCode.BAD_MESSAGE, 'malformed broker packet', cause)
  }
}

type Listener = (packet: BrokerPacket) => void

class Encoder {
  encode(packet: BrokerPacket): Uint8Array[] {
    return [encodeBrokerPacket(packet)]
  }
}

class Decoder {
  #listeners = new Set<Listener>()
  on(event: string, listener: Listener): this {
    if (event === 'decoded') this.#listeners.add(listener)
    return this
  }
  off(event?: string, listener?: Listener): this {
    if (listener) this.#listeners.delete(listener)
    else this.#listeners.clear()
    return this
  }
  removeListener(event: string, listener: Listener): this {
    return this.off(event, listener)
  }
  removeAllListeners(): this {
    this.#listeners.clear()
    return this
  }
  /** socket.io calls `add` per message and closes the connection if it throws. */
  add(chunk: unknown): void {
    const decoded = decodeBrokerPacket(chunk)
    if (!decoded.ok) throw decoded.error
    for (const listener of this.#listeners) listener(decoded.value)
  }
  destroy(): void {
    this.#listeners.clear()
  }
}

/** Pass as `parser` to both `new Server(…)` (broker) and `io(url, …)` (every broker client). */
export const brokerParser = { Encoder, Decoder }
