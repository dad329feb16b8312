import { ROOM_TAG_CHARS } from '@kibitz/protocol'

/** FNV-1a, 32 bits: keeps long names distinct after shortening. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return (h >>> 0).toString(36)
}

/**
 * A valid room tag (43 chars of base64url, what the broker and the bus accept) made readable from
 * `name`, for tests that work below the engine. Real rooms derive their tag with `deriveRoomKeys`.
 */
export function testTag(name: string | number): string {
  let base = String(name).replace(/[^A-Za-z0-9_-]/g, '-')
  if (base.length > 32) base = `${base.slice(0, 32)}-${fnv1a(String(name))}`
  return `${base}_${'x'.repeat(ROOM_TAG_CHARS)}`.slice(0, ROOM_TAG_CHARS)
}
