import { createHmac } from 'node:crypto'

/**
 * TURN REST credentials in the form coturn checks with `--use-auth-secret`
 * (draft-uberti-behave-turn-rest): the username is `"<unix expiry seconds>:<user>"` and the password
 * is `base64(HMAC-SHA1(secret, username))`. coturn recomputes the HMAC from its
 * `--static-auth-secret` and refuses the allocation once the expiry is in the past, so the broker
 * never stores per-user TURN accounts and the long-term secret never reaches a browser.
 */

/** Shortest and longest credential lifetime the broker will mint (1 minute … 48 hours). */
export const MIN_TURN_TTL_SECONDS = 60
export const MAX_TURN_TTL_SECONDS = 48 * 3600
/** Default lifetime when the operator sets none (24 hours). */
export const DEFAULT_TURN_TTL_SECONDS = 24 * 3600

/** One RTCIceServer as browsers, roam and node-datachannel read it. */
export interface IceServer {
  urls: string[]
  username?: string
  credential?: string
}

export interface TurnCredentials {
  username: string
  credential: string
  /** Unix seconds after which coturn refuses the credential. */
  expiresAt: number
}

/** Clamp a configured TTL into the supported range; nonsense falls back to the default. */
export function clampTurnTtl(ttlSeconds: number): number {
  if (!Number.isFinite(ttlSeconds)) return DEFAULT_TURN_TTL_SECONDS
  return Math.min(MAX_TURN_TTL_SECONDS, Math.max(MIN_TURN_TTL_SECONDS, Math.floor(ttlSeconds)))
}

/** Mint coturn-compatible credentials for `user`, valid for `ttlSeconds` from `nowMs`. */
export function mintTurnCredentials(
  secret: string,
  user: string,
  ttlSeconds: number,
  nowMs: number,
): TurnCredentials {
  const expiresAt = Math.floor(nowMs / 1000) + Math.floor(ttlSeconds)
  const username = `${expiresAt}:${user}`
  const credential = createHmac('sha1', secret).update(username).digest('base64')
  return { username, credential, expiresAt }
}

/** Configured ICE URLs split by kind; anything that is not stun:, stuns:, turn: or turns: is dropped. */
export interface SplitUrls {
  stun: string[]
  turn: string[]
}

export function splitIceUrls(urls: readonly string[]): SplitUrls {
  const stun: string[] = []
  const turn: string[] = []
  for (const raw of urls) {
    const url = raw.trim()
    if (/^stuns?:\S+$/i.test(url)) stun.push(url)
    else if (/^turns?:\S+$/i.test(url)) turn.push(url)
  }
  return { stun, turn }
}

/** STUN-only servers (no credential needed), or null when none are configured. */
export function stunOnly(split: SplitUrls): IceServer[] | null {
  return split.stun.length > 0 ? [{ urls: split.stun }] : null
}

/** STUN servers in their own entry, then every TURN URL sharing one credential. */
export function withTurn(split: SplitUrls, creds: TurnCredentials): IceServer[] {
  const servers: IceServer[] = split.stun.length > 0 ? [{ urls: split.stun }] : []
  servers.push({ urls: split.turn, username: creds.username, credential: creds.credential })
  return servers
}
