import { request } from 'node:http'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { baseHttpOptions, startHttpServer } from './testing/http-server.js'
import type { HttpTestServer } from './testing/http-server.js'

const KEY = 'lic_prop_key'

/** One raw request; resolves with the status, or 0 if the server closed the socket (allowed). */
function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hang: ${method} ${path}`)), 3000)
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      res.resume()
      res.on('end', () => {
        clearTimeout(timer)
        resolve(res.statusCode ?? 0)
      })
    })
    req.on('error', () => {
      clearTimeout(timer)
      resolve(0)
    })
    req.end(body)
  })
}

const printable = fc.string({
  unit: fc.constantFrom(...' !"#$%&\'()*+,-./0123456789:;<=>?@ABCZabcz[\\]^_`{|}~'.split('')),
})
const pathArb = fc.oneof(
  fc.constantFrom(
    '/api/turn',
    '/api/room-grant',
    '/healthz',
    '/metrics',
    '/',
    '/api/',
    '/..',
    '/%2e%2e/',
  ),
  fc
    .tuple(fc.constantFrom('/api/turn', '/api/room-grant', '/', '/api/'), printable)
    .map(([p, s]) => p + encodeURI(s).replace(/#/g, '%23')),
)
const headerValue = fc.oneof(
  printable,
  fc.constantFrom(
    `Bearer ${KEY}`,
    'Bearer x',
    'Bearer',
    'application/json',
    'a.b.c',
    `Bearer ${'k'.repeat(700)}`,
  ),
)
const headersArb = fc.record(
  {
    authorization: headerValue,
    'x-kibitz-grant': headerValue,
    'content-type': fc.oneof(headerValue, fc.constant('application/json')),
    'x-random': headerValue,
  },
  { requiredKeys: [] },
)
const bodyArb = fc.option(
  fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    fc.json().map((s) => Buffer.from(s)),
    fc
      .uint8Array({ minLength: 32, maxLength: 32 })
      .map((b) => Buffer.from(JSON.stringify({ room: Buffer.from(b).toString('base64url') }))),
    fc.integer({ min: 8_000, max: 40_000 }).map((n) => Buffer.alloc(n, 0x7b)),
  ),
  { nil: undefined },
)

describe('HTTP API under random input', () => {
  let server: HttpTestServer
  beforeAll(async () => {
    server = await startHttpServer(
      baseHttpOptions({
        licenseKeys: [KEY],
        grantSecret: 'prop-grant-secret',
        turn: {
          secret: 'prop-turn-secret',
          urls: ['stun:127.0.0.1:1', 'turn:127.0.0.1:1'],
          ttlSeconds: 600,
        },
      }),
      { bodyTimeoutMs: 500 },
    )
  })
  afterAll(() => server.close())

  it('never answers 5xx and never hangs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
        pathArb,
        headersArb,
        bodyArb,
        async (method, path, headers, body) => {
          const status = await send(server.port, method, path, headers, body)
          expect(status).toBeLessThan(500)
        },
      ),
      { numRuns: 300 },
    )
    // Still serving afterwards.
    expect(await send(server.port, 'GET', '/healthz', {}, undefined)).toBe(200)
  })
})
