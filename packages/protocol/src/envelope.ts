import { asBytes, fromUtf8, toBase64Url, utf8 } from './bytes.js'
import { ErrorCode, KibitzError } from './errors.js'
import { MAX_BROKER_FRAME_BYTES } from './limits.js'
import { fail, ok, type Result } from './result.js'
import { normalizeRoomId } from './room.js'

/**
 * Sealed envelopes: the room name in the link is the secret. From the normalized room id, HKDF-SHA-256
 * derives a public room *tag* (what the broker routes on) and a private AES-256-GCM room *key*.
 * Every frame the broker routes is sealed with the key, so the broker sees tags, socket ids, sizes
 * and timing — never the room name, names, the roster or SDP.
 *
 * Envelope layout (bytes): `[version=1][12-byte IV][AES-GCM ciphertext ‖ 16-byte tag]`.
 * The additional authenticated data is `"kibitz-env" ‖ version ‖ roomTag`, so an envelope cannot be
 * replayed into another room even by someone who knew both keys.
 */

export const ENVELOPE_VERSION = 1
const IV_BYTES = 12
const GCM_TAG_BYTES = 16
/** Smallest possible envelope: header + IV + GCM tag around an empty plaintext. */
export const MIN_ENVELOPE_BYTES = 1 + IV_BYTES + GCM_TAG_BYTES
/** Largest plaintext that still fits a broker frame once sealed. */
export const MAX_SEALED_PLAINTEXT_BYTES = MAX_BROKER_FRAME_BYTES - MIN_ENVELOPE_BYTES

const HKDF_SALT = utf8('kibitz/room/v1')
const TAG_INFO = utf8('kibitz room tag v1')
const KEY_INFO = utf8('kibitz room key v1')
const AAD_PREFIX = utf8('kibitz-env')

export interface RoomKeys {
  /** The normalized room id. Never leaves the client. */
  readonly room: string
  /** base64url of 32 HKDF bytes: the only room identifier the broker sees. */
  readonly tag: string
  /** AES-256-GCM key, non-extractable. */
  readonly key: CryptoKey
  /** Precomputed additional data for this room. */
  readonly aad: Uint8Array<ArrayBuffer>
}

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle
  if (!s)
    throw new KibitzError(
      ErrorCode.CRYPTO_UNAVAILABLE,
      'WebCrypto (crypto.subtle) is unavailable; a secure context is required',
    )
  return s
}

/** Derive the tag and key of a room. The room id is normalized first; an empty one is ROOM_INVALID. */
export async function deriveRoomKeys(roomId: string): Promise<Result<RoomKeys>> {
  const normalized = normalizeRoomId(roomId)
  if (!normalized.ok) return normalized
  const room = normalized.value
  try {
    const s = subtle()
    const ikm = await s.importKey('raw', utf8(room), 'HKDF', false, ['deriveBits', 'deriveKey'])
    // Both at once: each WebCrypto call is a round trip to another thread, and a page joins only
    // once both are done.
    const [tagBits, key] = await Promise.all([
      s.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: HKDF_SALT, info: TAG_INFO }, ikm, 256),
      s.deriveKey(
        { name: 'HKDF', hash: 'SHA-256', salt: HKDF_SALT, info: KEY_INFO },
        ikm,
        { name: 'AES-GCM', length: 256 },
        false,
        ['encrypt', 'decrypt'],
      ),
    ])
    const tag = toBase64Url(new Uint8Array(tagBits))
    const tagBytes = utf8(tag)
    const aad = new Uint8Array(AAD_PREFIX.length + 1 + tagBytes.length)
    aad.set(AAD_PREFIX, 0)
    aad[AAD_PREFIX.length] = ENVELOPE_VERSION
    aad.set(tagBytes, AAD_PREFIX.length + 1)
    return ok({ room, tag, key, aad })
  } catch (cause) {
    if (cause instanceof KibitzError) return { ok: false, error: cause }
    return fail(ErrorCode.INTERNAL, 'room key derivation failed', cause)
  }
}

/** Seal bytes for the room. Plaintexts over {@link MAX_SEALED_PLAINTEXT_BYTES} are TOO_LARGE. */
export async function seal(
  keys: RoomKeys,
  plaintext: Uint8Array<ArrayBuffer>,
): Promise<Result<Uint8Array>> {
  if (plaintext.byteLength > MAX_SEALED_PLAINTEXT_BYTES) {
    return fail(
      ErrorCode.TOO_LARGE,
      `sealed plaintext is ${plaintext.byteLength} bytes; the limit is ${MAX_SEALED_PLAINTEXT_BYTES}`,
    )
  }
  try {
    const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES))
    const ct = new Uint8Array(
      await subtle().encrypt(
        { name: 'AES-GCM', iv, additionalData: keys.aad, tagLength: 128 },
        keys.key,
        plaintext,
      ),
    )
    const out = new Uint8Array(1 + IV_BYTES + ct.byteLength)
    out[0] = ENVELOPE_VERSION
    out.set(iv, 1)
    out.set(ct, 1 + IV_BYTES)
    return ok(out)
  } catch (cause) {
    if (cause instanceof KibitzError) return { ok: false, error: cause }
    return fail(ErrorCode.INTERNAL, 'sealing failed', cause)
  }
}

/**
 * Open an envelope from the wire. Any binary view is accepted; tampered, truncated, oversized,
 * wrong-version or foreign-room envelopes are ENVELOPE_INVALID (TOO_LARGE for oversize).
 */
export async function open(keys: RoomKeys, envelope: unknown): Promise<Result<Uint8Array>> {
  const bytes = asBytes(envelope)
  if (!bytes) return fail(ErrorCode.ENVELOPE_INVALID, 'envelope is not binary')
  if (bytes.byteLength > MAX_BROKER_FRAME_BYTES)
    return fail(ErrorCode.TOO_LARGE, 'envelope exceeds the broker frame limit')
  if (bytes.byteLength < MIN_ENVELOPE_BYTES)
    return fail(ErrorCode.ENVELOPE_INVALID, 'envelope is truncated')
  if (bytes[0] !== ENVELOPE_VERSION)
    return fail(ErrorCode.ENVELOPE_INVALID, `unsupported envelope version ${bytes[0]}`)
  try {
    const plain = await subtle().decrypt(
      {
        name: 'AES-GCM',
        iv: bytes.subarray(1, 1 + IV_BYTES),
        additionalData: keys.aad,
        tagLength: 128,
      },
      keys.key,
      bytes.subarray(1 + IV_BYTES),
    )
    return ok(new Uint8Array(plain))
  } catch (cause) {
    if (cause instanceof KibitzError) return { ok: false, error: cause }
    return fail(
      ErrorCode.ENVELOPE_INVALID,
      'envelope failed authentication (tampered or another room)',
    )
  }
}

/** Seal a JSON-serializable message. */
export async function sealJson(keys: RoomKeys, message: unknown): Promise<Result<Uint8Array>> {
  let text: string
  try {
    text = JSON.stringify(message)
  } catch (cause) {
    return fail(ErrorCode.BAD_MESSAGE, 'message is not JSON-serializable', cause)
  }
  if (text === undefined) return fail(ErrorCode.BAD_MESSAGE, 'message is not JSON-serializable')
  return seal(keys, utf8(text))
}

/** Open an envelope and parse its JSON body (the caller still decodes it through a schema). */
export async function openJson(keys: RoomKeys, envelope: unknown): Promise<Result<unknown>> {
  const opened = await open(keys, envelope)
  if (!opened.ok) return opened
  try {
    return ok(JSON.parse(fromUtf8(opened.value)) as unknown)
  } catch (cause) {
    return fail(ErrorCode.BAD_MESSAGE, 'envelope body is not UTF-8 JSON', cause)
  }
}
