import type { IncomingMessage, ServerResponse } from 'node:http'
import { ErrorCode, KibitzError } from '@kibitz/protocol'
import {
  DEFAULT_GRANT_TTL_SECONDS,
  LicenseKeys,
  ROOM_TAG_RE,
  licenseTag,
  mintGrant,
  verifyGrant,
} from './grant.js'
import {
  BODY_TIMEOUT_MS,
  CORS_HEADERS,
  HttpError,
  MAX_BODY_BYTES,
  bearerToken,
  discardBody,
  isJsonContentType,
  parseJsonObject,
  readBody,
  sendError,
  sendJson,
} from './http-io.js'
import { serveStatic } from './static.js'
import { renderStatusPage } from './status-page.js'
import { clampTurnTtl, mintTurnCredentials, splitIceUrls, stunOnly, withTurn } from './turn.js'
import type { IceServer } from './turn.js'

/**
 * The broker's HTTP API, served on the same port as socket.io (see HTTP.md):
 * `GET /api/turn`, `POST /api/room-grant`, `GET /healthz`, `GET /metrics`, `GET /status` (status
 * page), `GET /` (the static site's index.html, else the status page) and static files. Every error is `{ error: { code, message } }`; bodies are capped and time-boxed.
 */

export interface HttpOptions {
  turn: { secret?: string; urls: string[]; ttlSeconds: number }
  licenseKeys: string[]
  grantSecret?: string
  grantTtlSeconds: number
  /** Prometheus text, rendered by the caller. */
  metrics: () => string
  /** JSON body for GET /healthz. */
  health: () => Record<string, unknown>
  /** Optional directory of static files (the demo site, widget.js). */
  staticDir?: string
  /** Millisecond clock, injectable for tests. */
  now?: () => number
}

/** Knobs tests turn down; production uses the defaults. */
export interface HttpTuning {
  maxBodyBytes?: number
  bodyTimeoutMs?: number
}

/** Who pays for the relay: see HTTP.md § Tiers. */
export type TurnTier = 'open' | 'premium' | 'room' | 'free'

export interface TurnResponse {
  iceServers: IceServer[] | null
  configured: boolean
  tier: TurnTier
  /** Unix seconds when the TURN credential expires (present only when one was issued). */
  expiresAt?: number
}

const NO_STORE = { 'Cache-Control': 'no-store' }
const API_HEADERS = { ...CORS_HEADERS, ...NO_STORE }

const methodNotAllowed = (allow: string): HttpError =>
  new HttpError(405, ErrorCode.BAD_MESSAGE, 'method not allowed', { Allow: allow })

/** Split a request target into its path and query without normalizing the path. */
function splitTarget(url: string | undefined): { path: string; query: URLSearchParams } {
  const target = url ?? '/'
  const q = target.indexOf('?')
  const path = q === -1 ? target : target.slice(0, q)
  let query: URLSearchParams
  try {
    query = new URLSearchParams(q === -1 ? '' : target.slice(q + 1))
  } catch {
    query = new URLSearchParams()
  }
  return { path, query }
}

export function createHttpHandler(
  opts: HttpOptions,
  tuning: HttpTuning = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const now = opts.now ?? Date.now
  const keys = new LicenseKeys(opts.licenseKeys)
  const urls = splitIceUrls(opts.turn.urls)
  const turnSecret = opts.turn.secret || undefined
  const grantSecret = opts.grantSecret || undefined
  const turnConfigured = turnSecret !== undefined && urls.turn.length > 0
  const turnTtl = clampTurnTtl(opts.turn.ttlSeconds)
  const grantTtl = opts.grantTtlSeconds > 0 ? opts.grantTtlSeconds : DEFAULT_GRANT_TTL_SECONDS
  const maxBody = tuning.maxBodyBytes ?? MAX_BODY_BYTES
  const bodyTimeout = tuning.bodyTimeoutMs ?? BODY_TIMEOUT_MS

  /** The caller's tier and the non-identifying tag that goes into the TURN username. */
  async function resolveTier(
    req: IncomingMessage,
    query: URLSearchParams,
  ): Promise<{ tier: TurnTier; user: string }> {
    // No keys configured: everyone gets TURN and credential headers are ignored.
    if (keys.size === 0) return { tier: 'open', user: 'open' }
    const token = bearerToken(req)
    if (token !== undefined) {
      if (!keys.has(token)) throw new KibitzError(ErrorCode.UNAUTHORIZED, 'unknown license key')
      return { tier: 'premium', user: licenseTag(token) }
    }
    const header = req.headers['x-kibitz-grant']
    if (header !== undefined) {
      if (grantSecret === undefined)
        throw new KibitzError(ErrorCode.UNAUTHORIZED, 'this broker accepts no grants')
      const grant = (Array.isArray(header) ? header.join(',') : header).trim()
      const claims = await verifyGrant(grantSecret, grant, now())
      const room = query.get('room')
      if (room !== null && room !== claims.room) {
        throw new KibitzError(ErrorCode.FORBIDDEN, 'grant is for another room')
      }
      return { tier: 'room', user: claims.sub }
    }
    return { tier: 'free', user: 'free' }
  }

  async function turn(
    req: IncomingMessage,
    res: ServerResponse,
    query: URLSearchParams,
  ): Promise<void> {
    const { tier, user } = await resolveTier(req, query)
    let body: TurnResponse
    if (!turnConfigured || turnSecret === undefined) {
      body = { iceServers: null, configured: false, tier }
    } else if (tier === 'free') {
      body = { iceServers: stunOnly(urls), configured: true, tier }
    } else {
      const creds = mintTurnCredentials(turnSecret, user, turnTtl, now())
      body = {
        iceServers: withTurn(urls, creds),
        configured: true,
        tier,
        expiresAt: creds.expiresAt,
      }
    }
    sendJson(res, 200, body, API_HEADERS)
  }

  async function roomGrant(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (grantSecret === undefined) {
      throw new KibitzError(
        ErrorCode.NOT_CONFIGURED,
        'room grants are not configured on this broker',
      )
    }
    const token = bearerToken(req)
    if (token === undefined)
      throw new KibitzError(ErrorCode.UNAUTHORIZED, 'a license key (Bearer) is required')
    if (!keys.has(token)) throw new KibitzError(ErrorCode.FORBIDDEN, 'license key not accepted')
    if (!isJsonContentType(req)) {
      throw new HttpError(415, ErrorCode.BAD_MESSAGE, 'Content-Type must be application/json')
    }
    const json = parseJsonObject(await readBody(req, maxBody, bodyTimeout))
    const room = json.room
    if (typeof room !== 'string' || !ROOM_TAG_RE.test(room)) {
      throw new KibitzError(
        ErrorCode.BAD_MESSAGE,
        'room must be a room tag (43 base64url characters)',
      )
    }
    const { grant, exp } = await mintGrant(grantSecret, room, licenseTag(token), grantTtl, now())
    sendJson(res, 200, { grant, exp }, API_HEADERS)
  }

  function health(res: ServerResponse): void {
    const body = { ok: true, ...opts.health() }
    sendJson(res, body.ok === false ? 503 : 200, body, NO_STORE)
  }

  function metrics(req: IncomingMessage, res: ServerResponse): void {
    const text = opts.metrics()
    res.writeHead(200, {
      'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      ...NO_STORE,
    })
    res.end(req.method === 'HEAD' ? undefined : text)
  }

  function statusPage(req: IncomingMessage, res: ServerResponse): void {
    const html = renderStatusPage({ ok: true, ...opts.health() })
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(html),
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
      ...NO_STORE,
    })
    res.end(req.method === 'HEAD' ? undefined : html)
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET'
    const read = method === 'GET' || method === 'HEAD'
    const { path, query } = splitTarget(req.url)

    if (path === '/api' || path.startsWith('/api/')) {
      if (path === '/api/turn') {
        if (method === 'OPTIONS') return preflight(res)
        if (!read) throw methodNotAllowed('GET, HEAD, OPTIONS')
        return turn(req, res, query)
      }
      if (path === '/api/room-grant') {
        if (method === 'OPTIONS') return preflight(res)
        if (method !== 'POST') throw methodNotAllowed('POST, OPTIONS')
        return roomGrant(req, res)
      }
      throw new KibitzError(ErrorCode.NOT_FOUND, 'no such endpoint')
    }
    if (path === '/healthz' || path === '/metrics') {
      if (!read) throw methodNotAllowed('GET, HEAD')
      return path === '/healthz' ? health(res) : metrics(req, res)
    }
    // Always reachable, also when a static site's index.html takes `/`.
    if (path === '/status') {
      if (!read) throw methodNotAllowed('GET, HEAD')
      return statusPage(req, res)
    }
    if (read && opts.staticDir !== undefined && (await serveStatic(req, res, opts.staticDir, path)))
      return
    if (path === '/') {
      if (!read) throw methodNotAllowed('GET, HEAD')
      return statusPage(req, res)
    }
    throw new KibitzError(ErrorCode.NOT_FOUND, 'not found')
  }

  return (req, res) => {
    const api = (req.url ?? '').startsWith('/api')
    route(req, res).catch((err: unknown) => {
      // A body we did not (fully) read is drained briefly and the connection closed after the reply.
      const unread = !req.complete
      if (unread) discardBody(req)
      sendError(res, err, {
        ...(api ? API_HEADERS : {}),
        ...(unread ? { Connection: 'close' } : {}),
      })
    })
  }
}

function preflight(res: ServerResponse): void {
  res.writeHead(204, { ...CORS_HEADERS, 'Content-Length': 0 })
  res.end()
}
