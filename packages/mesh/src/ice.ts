import { ErrorCode, fail, isErrorCode, ok, type Result } from '@kibitz/protocol'
import * as z from 'zod/mini'

/**
 * ICE servers from the broker's `GET /api/turn` (packages/broker/HTTP.md) and the relay-only
 * ("hide my IP") helpers (M28–M31). Never throws: every failure is a typed `KibitzError` in a
 * `Result`.
 */

/** The tier the broker served (HTTP.md § Tiers); unknown future tiers pass through as strings. */
export type IceTier = 'open' | 'premium' | 'room' | 'free' | (string & {})

export interface IceConfig {
  /** Ready for `RTCConfiguration.iceServers` (`[]` when the broker has none for us). */
  iceServers: RTCIceServer[]
  /** The broker has TURN configured at all. */
  configured: boolean
  tier: IceTier
  /** Unix seconds the TURN credential expires (fetch again before), or null. */
  expiresAt: number | null
  /** At least one `turn:`/`turns:` server with a credential: relay-only mode can work. */
  hasTurn: boolean
}

export interface FetchIceOptions {
  /** Base URL of the broker (`https://broker.example.com`); default: the page's own origin. */
  turnHost?: string
  /** Sent as `Authorization: Bearer <licenseKey>` (premium tier). */
  licenseKey?: string
  /** Sent as `X-Kibitz-Grant` (room tier, "opener pays"). */
  grant?: string
  /** Room tag: adds `?room=<tag>` so the broker checks the grant's scope. */
  room?: string
  /** `fetch` implementation; default `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch
  /** Whole request including the body; default 5 s → `TIMEOUT`. */
  timeoutMs?: number
}

/** Largest `/api/turn` body accepted (a real one is well under 2 KiB). */
export const MAX_ICE_RESPONSE_BYTES = 64 * 1024
const MAX_ICE_SERVERS = 16
const MAX_URLS = 16
const MAX_FIELD = 1024

const IceUrl = z.string().check(z.maxLength(MAX_FIELD), z.regex(/^(stuns?|turns?):\S+$/i))
const IceServerSchema = z.object({
  urls: z.union([IceUrl, z.array(IceUrl).check(z.minLength(1), z.maxLength(MAX_URLS))]),
  username: z.optional(z.string().check(z.maxLength(MAX_FIELD))),
  credential: z.optional(z.string().check(z.maxLength(MAX_FIELD))),
})
const TurnResponseSchema = z.object({
  iceServers: z.nullable(z.array(IceServerSchema).check(z.maxLength(MAX_ICE_SERVERS))),
  configured: z.boolean(),
  tier: z.string().check(z.minLength(1), z.maxLength(64)),
  expiresAt: z.optional(z.number().check(z.int(), z.nonnegative())),
})

const urlsOf = (server: RTCIceServer): string[] =>
  Array.isArray(server.urls) ? server.urls : [server.urls]

/** True when `iceServers` holds a TURN URL with a credential (what relay-only needs). */
export function hasTurnServer(iceServers: readonly RTCIceServer[] | null | undefined): boolean {
  return (iceServers ?? []).some(
    (s) =>
      typeof s.username === 'string' &&
      s.username.length > 0 &&
      typeof s.credential === 'string' &&
      s.credential.length > 0 &&
      urlsOf(s).some((u) => /^turns?:/i.test(u)),
  )
}

/** Validate an `/api/turn` body (anything parsed from JSON). */
export function parseIceResponse(body: unknown): Result<IceConfig> {
  const parsed = TurnResponseSchema.safeParse(body)
  if (!parsed.success) {
    return fail(ErrorCode.BAD_MESSAGE, '/api/turn answered an unexpected body', parsed.error)
  }
  const { iceServers, configured, tier, expiresAt } = parsed.data
  const servers: RTCIceServer[] = (iceServers ?? []).map((s) => ({
    urls: Array.isArray(s.urls) ? [...s.urls] : [s.urls],
    ...(s.username !== undefined ? { username: s.username } : {}),
    ...(s.credential !== undefined ? { credential: s.credential } : {}),
  }))
  return ok({
    iceServers: servers,
    configured,
    tier,
    expiresAt: expiresAt ?? null,
    hasTurn: hasTurnServer(servers),
  })
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: ErrorCode.BAD_MESSAGE,
  401: ErrorCode.UNAUTHORIZED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  408: ErrorCode.TIMEOUT,
  413: ErrorCode.TOO_LARGE,
  429: ErrorCode.RATE_LIMITED,
  501: ErrorCode.NOT_CONFIGURED,
}

function sameOriginBase(): string | null {
  const loc = (globalThis as { location?: { origin?: unknown } }).location
  return typeof loc?.origin === 'string' && /^https?:\/\//.test(loc.origin) ? loc.origin : null
}

async function readCapped(res: Response): Promise<Result<string>> {
  const declared = Number(res.headers.get('content-length') ?? '0')
  if (declared > MAX_ICE_RESPONSE_BYTES) {
    return fail(ErrorCode.TOO_LARGE, `/api/turn body of ${declared} bytes`)
  }
  const text = await res.text()
  if (text.length > MAX_ICE_RESPONSE_BYTES) return fail(ErrorCode.TOO_LARGE, '/api/turn body')
  return ok(text)
}

/**
 * `GET {turnHost}/api/turn` with the caller's license key and/or room grant (M28). Resolves to the
 * validated ICE configuration, or a typed error: `TIMEOUT`, the broker's own code for a 4xx/5xx
 * (`UNAUTHORIZED`, `FORBIDDEN`, …), `BAD_MESSAGE` for a body that is not the documented shape,
 * `NOT_CONFIGURED` when there is neither a `turnHost` nor a page origin nor a `fetch`.
 */
export async function fetchIceServers(options: FetchIceOptions = {}): Promise<Result<IceConfig>> {
  const doFetch = options.fetch ?? (globalThis.fetch as typeof fetch | undefined)
  if (typeof doFetch !== 'function') return fail(ErrorCode.NOT_CONFIGURED, 'no fetch available')
  const base = options.turnHost ?? sameOriginBase()
  if (!base) return fail(ErrorCode.NOT_CONFIGURED, 'fetchIceServers needs turnHost outside a page')
  let url: URL
  try {
    url = new URL('/api/turn', base.endsWith('/') ? base : `${base}/`)
  } catch (error) {
    return fail(ErrorCode.NOT_CONFIGURED, `bad turnHost "${base}"`, error)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return fail(ErrorCode.NOT_CONFIGURED, `turnHost must be http(s), got ${url.protocol}`)
  }
  if (options.room) url.searchParams.set('room', options.room)
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (options.licenseKey) headers.Authorization = `Bearer ${options.licenseKey}`
  if (options.grant) headers['X-Kibitz-Grant'] = options.grant

  const timeoutMs = options.timeoutMs ?? 5_000
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, timeoutMs)
  try {
    const res = await doFetch(url.href, { method: 'GET', headers, signal: controller.signal })
    const body = await readCapped(res)
    if (!body.ok) return body
    let json: unknown
    try {
      json = JSON.parse(body.value)
    } catch (error) {
      if (res.ok) return fail(ErrorCode.BAD_MESSAGE, '/api/turn answered non-JSON', error)
      json = null
    }
    if (!res.ok) {
      const code = (json as { error?: { code?: unknown } } | null)?.error?.code
      const mapped = isErrorCode(code) ? code : (STATUS_CODES[res.status] ?? ErrorCode.INTERNAL)
      return fail(mapped, `/api/turn answered ${res.status}`)
    }
    return parseIceResponse(json)
  } catch (error) {
    if (timedOut) return fail(ErrorCode.TIMEOUT, `/api/turn took longer than ${timeoutMs} ms`)
    return fail(ErrorCode.INTERNAL, `/api/turn unreachable: ${String(error)}`, error)
  } finally {
    clearTimeout(timer)
  }
}
