import type { IncomingMessage, ServerResponse } from 'node:http'
import { ErrorCode, KibitzError, isKibitzError } from '@kibitz/protocol'

/** Small response and request helpers for the broker's HTTP API: JSON out, capped JSON in. */

/** Largest request body read by any endpoint. */
export const MAX_BODY_BYTES = 8 * 1024
/** A body that has not fully arrived by then is answered 408 and the socket closed. */
export const BODY_TIMEOUT_MS = 10_000

/** HTTP status per error code (codes without an entry answer 400). */
const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.BAD_MESSAGE]: 400,
  [ErrorCode.TOO_LARGE]: 413,
  [ErrorCode.UNAUTHORIZED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.NOT_CONFIGURED]: 501,
  [ErrorCode.TIMEOUT]: 408,
  [ErrorCode.INTERNAL]: 500,
}

export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Kibitz-Grant',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Max-Age': '600',
}

/** An error answered with an explicit status (405, 415) whose code has another default. */
export class HttpError extends KibitzError {
  readonly status: number
  readonly headers: Record<string, string>

  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(code, message)
    this.status = status
    this.headers = headers
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const text = JSON.stringify(body)
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'X-Content-Type-Options': 'nosniff',
  })
  res.end(text)
}

/** Answer any thrown value as `{ error: { code, message } }`; non-Kibitz errors become 500 INTERNAL. */
export function sendError(
  res: ServerResponse,
  err: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const e = isKibitzError(err) ? err : new KibitzError(ErrorCode.INTERNAL, 'internal error')
  const status = e instanceof HttpError ? e.status : (STATUS[e.code] ?? 400)
  const extra = e instanceof HttpError ? e.headers : {}
  sendJson(res, status, { error: e.toJSON() }, { ...headers, ...extra })
}

/** `Authorization: Bearer <token>` per RFC 6750 (b64token charset), at most 512 characters. */
const BEARER_RE = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i
const MAX_AUTH_CHARS = 520

/**
 * The bearer token, `undefined` when there is no Authorization header, or a BAD_MESSAGE error when
 * the header is present but not a well-formed bearer credential.
 */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization
  if (header === undefined) return undefined
  const match = header.length <= MAX_AUTH_CHARS ? BEARER_RE.exec(header) : null
  if (!match?.[1])
    throw new KibitzError(ErrorCode.BAD_MESSAGE, 'Authorization must be "Bearer <token>"')
  return match[1]
}

/** True when the request's Content-Type is application/json (parameters such as charset allowed). */
export function isJsonContentType(req: IncomingMessage): boolean {
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase()
  return type === 'application/json'
}

/**
 * Read the whole body, at most `maxBytes`, within `timeoutMs`. Rejects with TOO_LARGE (declared or
 * actual size over the cap), TIMEOUT, or BAD_MESSAGE (client aborted). Never leaves a dangling
 * listener or timer.
 */
export function readBody(
  req: IncomingMessage,
  maxBytes: number,
  timeoutMs: number,
): Promise<Buffer> {
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > maxBytes) {
    return Promise.reject(new KibitzError(ErrorCode.TOO_LARGE, `body exceeds ${maxBytes} bytes`))
  }
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0))
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    const finish = (err: KibitzError | null): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onAbort)
      req.off('close', onAbort)
      if (err) reject(err)
      else resolve(Buffer.concat(chunks, size))
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > maxBytes)
        finish(new KibitzError(ErrorCode.TOO_LARGE, `body exceeds ${maxBytes} bytes`))
      else chunks.push(chunk)
    }
    const onEnd = (): void => finish(null)
    const onAbort = (): void => finish(new KibitzError(ErrorCode.BAD_MESSAGE, 'request aborted'))
    const timer = setTimeout(
      () => finish(new KibitzError(ErrorCode.TIMEOUT, 'request body timed out')),
      timeoutMs,
    )
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onAbort)
    req.on('close', onAbort)
  })
}

/** How long an unwanted body is drained after an error reply before the socket is destroyed. */
const DRAIN_MS = 2_000

/**
 * After answering a body error (413, 408, abort), stop reading the body without stranding the reply:
 * discard what still arrives (so the kernel does not reset the connection under the response),
 * (the caller answers with `Connection: close`), and destroy the socket if the client keeps sending past DRAIN_MS.
 */
export function discardBody(req: IncomingMessage): void {
  req.resume()
  const timer = setTimeout(() => req.socket.destroy(), DRAIN_MS)
  timer.unref()
  req.socket.once('close', () => clearTimeout(timer))
}

/** Parse a JSON object body; anything else (invalid JSON, arrays, scalars) is BAD_MESSAGE. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(body.toString('utf8'))
  } catch {
    throw new KibitzError(ErrorCode.BAD_MESSAGE, 'body is not valid JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KibitzError(ErrorCode.BAD_MESSAGE, 'body must be a JSON object')
  }
  return value as Record<string, unknown>
}
