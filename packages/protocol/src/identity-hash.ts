import { toBase64Url, utf8 } from './bytes.js'

/**
 * A room-salted, one-way name for an identity token: base64url(SHA-256("kibitz-identity/v1|" ‖
 * roomTag ‖ "|" ‖ identity)). Rosters and `sync` carry these for bans and admitted identities, so
 * members can take over moderation state without learning anyone's token (a token is a credential:
 * whoever presents it reconnects as that participant). Different rooms give unlinkable hashes.
 */
export async function identityHash(roomTag: string, identity: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest(
    'SHA-256',
    utf8(`kibitz-identity/v1|${roomTag}|${identity}`),
  )
  return toBase64Url(new Uint8Array(digest))
}
