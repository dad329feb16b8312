import { createHmac, randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose'
import { GRANT_AUDIENCE, GRANT_ISSUER, GRANT_TYP, licenseTag } from './grant.js'
import type { HttpOptions, HttpTuning } from './http.js'
import { baseHttpOptions, startHttpServer } from './testing/http-server.js'
import type { HttpTestServer } from './testing/http-server.js'

const TURN_SECRET = 'turn-secret-for-tests'
const GRANT_SECRET = 'grant-secret-for-tests-0123456789'
const KEY = 'lic_live_9f8e7d6c5b4a'
const OTHER_KEY = 'lic_live_other'
const TURN_URLS = [
  'stun:127.0.0.1:3478',
  'turn:127.0.0.1:3478?transport=udp',
  'turns:127.0.0.1:5349?transport=tcp',
]
const T0 = 1_700_000_000_000

const newTag = (): string => randomBytes(32).toString('base64url')

let clock = T0
const servers: HttpTestServer[] = []
async function serve(overrides: Partial<HttpOptions> = {}, tuning?: HttpTuning): Promise<string> {
  const s = await startHttpServer(baseHttpOptions({ now: () => clock, ...overrides }), tuning)
  servers.push(s)
  return s.url
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
})

interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A request with an exact, unnormalized path (fetch would resolve `..` before sending). */
function raw(
  base: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  const { port } = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: Number(port),
        path,
        method: init.method ?? 'GET',
        headers: init.headers,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(init.body)
  })
}

const bearer = (key: string): Record<string, string> => ({ Authorization: `Bearer ${key}` })
const expectError = async (res: Response, status: number, code: string): Promise<void> => {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  const body = (await res.json()) as { error: { code: string; message: string } }
  expect(body.error.code).toBe(code)
  expect(typeof body.error.message).toBe('string')
}

/** Recompute a TURN REST credential independently of turn.ts. */
const expectedCredential = (secret: string, username: string): string =>
  createHmac('sha1', Buffer.from(secret, 'utf8'))
    .update(Buffer.from(username, 'utf8'))
    .digest('base64')

interface TurnBody {
  iceServers: { urls: string[]; username?: string; credential?: string }[] | null
  configured: boolean
  tier: string
  expiresAt?: number
}

describe('GET /api/turn — open deployment (no license keys)', () => {
  let url: string
  beforeAll(async () => {
    url = await serve({ turn: { secret: TURN_SECRET, urls: TURN_URLS, ttlSeconds: 3600 } })
  })

  it('mints coturn-compatible credentials for every TURN url, with STUN in its own entry', async () => {
    clock = T0
    const res = await fetch(`${url}/api/turn`)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const body = (await res.json()) as TurnBody
    expect(body.configured).toBe(true)
    expect(body.tier).toBe('open')
    const [stun, turn] = body.iceServers ?? []
    expect(stun).toEqual({ urls: ['stun:127.0.0.1:3478'] })
    expect(turn?.urls).toEqual(TURN_URLS.slice(1))
    const expiry = T0 / 1000 + 3600
    expect(turn?.username).toBe(`${expiry}:open`)
    expect(turn?.credential).toBe(expectedCredential(TURN_SECRET, `${expiry}:open`))
    expect(body.expiresAt).toBe(expiry)
  })

  it('ignores credential headers when no keys are configured (everyone gets TURN)', async () => {
    const res = await fetch(`${url}/api/turn`, {
      headers: { Authorization: 'Basic whatever', 'X-Kibitz-Grant': 'x' },
    })
    expect(res.status).toBe(200)
    expect(((await res.json()) as TurnBody).tier).toBe('open')
  })

  it('the expiry follows the injected clock and the configured TTL', async () => {
    clock = T0 + 123_456
    const body = (await (await fetch(`${url}/api/turn`)).json()) as TurnBody
    const expiry = Math.floor((T0 + 123_456) / 1000) + 3600
    expect(body.iceServers?.[1]?.username).toBe(`${expiry}:open`)
    clock = T0
  })

  it('HEAD answers headers only', async () => {
    const res = await fetch(`${url}/api/turn`, { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
  })
})

describe('GET /api/turn — not configured', () => {
  it('answers {iceServers: null, configured: false} without a secret', async () => {
    const url = await serve({ turn: { urls: TURN_URLS, ttlSeconds: 3600 } })
    const res = await fetch(`${url}/api/turn`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ iceServers: null, configured: false, tier: 'open' })
  })

  it('answers configured: false with a secret but only STUN urls', async () => {
    const url = await serve({
      turn: { secret: TURN_SECRET, urls: ['stun:127.0.0.1:3478', 'http://nope'], ttlSeconds: 60 },
    })
    expect(await (await fetch(`${url}/api/turn`)).json()).toEqual({
      iceServers: null,
      configured: false,
      tier: 'open',
    })
  })

  it('still resolves the tier when keys are configured', async () => {
    const url = await serve({ licenseKeys: [KEY], turn: { urls: [], ttlSeconds: 60 } })
    const body = await (await fetch(`${url}/api/turn`, { headers: bearer(KEY) })).json()
    expect(body).toEqual({ iceServers: null, configured: false, tier: 'premium' })
  })
})

describe('GET /api/turn — gated deployment (license keys)', () => {
  let url: string
  beforeAll(async () => {
    url = await serve({
      licenseKeys: [KEY, OTHER_KEY, ''],
      grantSecret: GRANT_SECRET,
      turn: { secret: TURN_SECRET, urls: TURN_URLS, ttlSeconds: 600 },
    })
  })

  it('free tier without credentials: STUN only, no TURN credential', async () => {
    clock = T0
    const body = (await (await fetch(`${url}/api/turn`)).json()) as TurnBody
    expect(body).toEqual({
      iceServers: [{ urls: ['stun:127.0.0.1:3478'] }],
      configured: true,
      tier: 'free',
    })
  })

  it('free tier with no STUN urls configured: iceServers null', async () => {
    const u = await serve({
      licenseKeys: [KEY],
      turn: { secret: TURN_SECRET, urls: [TURN_URLS[1]!], ttlSeconds: 60 },
    })
    expect(await (await fetch(`${u}/api/turn`)).json()).toEqual({
      iceServers: null,
      configured: true,
      tier: 'free',
    })
  })

  it('premium with a known key; the username carries the license tag, never the key', async () => {
    const res = await fetch(`${url}/api/turn`, { headers: bearer(KEY) })
    expect(res.status).toBe(200)
    const body = (await res.json()) as TurnBody
    expect(body.tier).toBe('premium')
    const turn = body.iceServers?.find((s) => s.username !== undefined)
    const username = `${T0 / 1000 + 600}:${licenseTag(KEY)}`
    expect(turn?.username).toBe(username)
    expect(turn?.credential).toBe(expectedCredential(TURN_SECRET, username))
    expect(JSON.stringify(body)).not.toContain(KEY)
    expect(licenseTag(KEY)).toMatch(/^[A-Za-z0-9_-]{16}$/)
  })

  it('the Bearer scheme is case-insensitive', async () => {
    const res = await fetch(`${url}/api/turn`, {
      headers: { Authorization: `bearer ${OTHER_KEY}` },
    })
    expect(((await res.json()) as TurnBody).tier).toBe('premium')
  })

  it.each([
    ['Basic dXNlcjpwYXNz'],
    ['Bearer'],
    ['Bearer '],
    ['Bearer two words'],
    ['Bearer ä'],
    ['Token abc'],
    [`Bearer ${'a'.repeat(600)}`],
    ['Bearer abc,def'],
  ])('malformed Authorization %j → 400 BAD_MESSAGE', async (auth) => {
    await expectError(
      await fetch(`${url}/api/turn`, { headers: { Authorization: auth } }),
      400,
      'BAD_MESSAGE',
    )
  })

  it('well-formed but unknown key → 401 UNAUTHORIZED, with CORS headers', async () => {
    const res = await fetch(`${url}/api/turn`, { headers: bearer('lic_unknown') })
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    await expectError(res, 401, 'UNAUTHORIZED')
  })

  it('a grant from /api/room-grant gives tier room; the username carries the sponsor tag', async () => {
    const tag = newTag()
    const minted = await fetch(`${url}/api/room-grant`, {
      method: 'POST',
      headers: { ...bearer(KEY), 'Content-Type': 'application/json' },
      body: JSON.stringify({ room: tag }),
    })
    const { grant } = (await minted.json()) as { grant: string }
    for (const q of ['', `?room=${tag}`]) {
      const body = (await (
        await fetch(`${url}/api/turn${q}`, { headers: { 'X-Kibitz-Grant': grant } })
      ).json()) as TurnBody
      expect(body.tier).toBe('room')
      const turn = body.iceServers?.find((s) => s.username !== undefined)
      expect(turn?.username).toBe(`${T0 / 1000 + 600}:${licenseTag(KEY)}`)
      expect(turn?.credential).toBe(expectedCredential(TURN_SECRET, turn?.username ?? ''))
    }
    // Scoped: presenting it for another room is refused.
    await expectError(
      await fetch(`${url}/api/turn?room=${newTag()}`, { headers: { 'X-Kibitz-Grant': grant } }),
      403,
      'FORBIDDEN',
    )
    // A valid bearer wins over the grant.
    const both = await fetch(`${url}/api/turn`, {
      headers: { ...bearer(OTHER_KEY), 'X-Kibitz-Grant': grant },
    })
    expect(((await both.json()) as TurnBody).tier).toBe('premium')
  })

  it('expired, forged, foreign-secret, wrong-typ and garbage grants → 401', async () => {
    clock = T0
    const tag = newTag()
    const res = await fetch(`${url}/api/room-grant`, {
      method: 'POST',
      headers: { ...bearer(KEY), 'Content-Type': 'application/json' },
      body: JSON.stringify({ room: tag }),
    })
    const { grant, exp } = (await res.json()) as { grant: string; exp: number }
    const [h, p, sig] = grant.split('.') as [string, string, string]

    // Still valid one second before exp, refused at exp.
    clock = (exp - 1) * 1000
    expect((await fetch(`${url}/api/turn`, { headers: { 'X-Kibitz-Grant': grant } })).status).toBe(
      200,
    )
    clock = exp * 1000
    await expectError(
      await fetch(`${url}/api/turn`, { headers: { 'X-Kibitz-Grant': grant } }),
      401,
      'UNAUTHORIZED',
    )
    clock = T0

    const flipped = sig.slice(0, -2) + (sig.endsWith('AA') ? 'BB' : 'AA')
    const otherRoomPayload = Buffer.from(
      JSON.stringify({ ...decodeJwt(grant), room: newTag() }),
    ).toString('base64url')
    const signWith = (secret: string, typ = GRANT_TYP, aud = GRANT_AUDIENCE, iss = GRANT_ISSUER) =>
      new SignJWT({ room: tag })
        .setProtectedHeader({ alg: 'HS256', typ })
        .setIssuer(iss)
        .setAudience(aud)
        .setSubject('abcdefghijklmnop')
        .setIssuedAt(T0 / 1000)
        .setExpirationTime(T0 / 1000 + 600)
        .sign(new TextEncoder().encode(secret))
    const noneAlg = `${Buffer.from(JSON.stringify({ alg: 'none', typ: GRANT_TYP })).toString('base64url')}.${p}.`
    const bad = [
      `${h}.${p}.${flipped}`,
      `${h}.${otherRoomPayload}.${sig}`,
      noneAlg,
      await signWith('some-other-secret'),
      await signWith(GRANT_SECRET, 'JWT'),
      await signWith(GRANT_SECRET, GRANT_TYP, 'kibitz:other'),
      await signWith(GRANT_SECRET, GRANT_TYP, GRANT_AUDIENCE, 'someone-else'),
      'not-a-jwt',
      'a.b.c',
      'x'.repeat(5000),
    ]
    for (const g of bad) {
      await expectError(
        await fetch(`${url}/api/turn`, { headers: { 'X-Kibitz-Grant': g } }),
        401,
        'UNAUTHORIZED',
      )
    }
    // Sanity: the same helper with every field right is accepted.
    const good = await signWith(GRANT_SECRET)
    expect((await fetch(`${url}/api/turn`, { headers: { 'X-Kibitz-Grant': good } })).status).toBe(
      200,
    )
  })

  it('a grant on a broker without a grant secret → 401', async () => {
    const u = await serve({
      licenseKeys: [KEY],
      turn: { secret: TURN_SECRET, urls: TURN_URLS, ttlSeconds: 60 },
    })
    await expectError(
      await fetch(`${u}/api/turn`, { headers: { 'X-Kibitz-Grant': 'a.b.c' } }),
      401,
      'UNAUTHORIZED',
    )
  })
})

describe('POST /api/room-grant', () => {
  let url: string
  const post = (
    body: string | undefined,
    headers: Record<string, string> = { ...bearer(KEY), 'Content-Type': 'application/json' },
    base = url,
  ) => fetch(`${base}/api/room-grant`, { method: 'POST', headers, body })

  beforeAll(async () => {
    url = await serve(
      { licenseKeys: [KEY], grantSecret: GRANT_SECRET, grantTtlSeconds: 600 },
      { bodyTimeoutMs: 300 },
    )
  })

  it('mints a room-scoped HS256 grant with typ, iss, aud, sub = license tag, exp = iat + ttl', async () => {
    clock = T0
    const tag = newTag()
    const res = await post(JSON.stringify({ room: tag, extra: 1 }), {
      ...bearer(KEY),
      'Content-Type': 'application/json; charset=utf-8',
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const { grant, exp } = (await res.json()) as { grant: string; exp: number }
    expect(exp).toBe(T0 / 1000 + 600)
    expect(decodeProtectedHeader(grant)).toEqual({ alg: 'HS256', typ: GRANT_TYP })
    expect(decodeJwt(grant)).toEqual({
      room: tag,
      sub: licenseTag(KEY),
      iss: GRANT_ISSUER,
      aud: GRANT_AUDIENCE,
      iat: T0 / 1000,
      exp,
    })
    expect(grant).not.toContain(KEY)
  })

  it('501 NOT_CONFIGURED without a grant secret', async () => {
    const u = await serve({ licenseKeys: [KEY] })
    await expectError(
      await post(JSON.stringify({ room: newTag() }), undefined, u),
      501,
      'NOT_CONFIGURED',
    )
  })

  it('401 without a bearer, 400 with a malformed one, 403 with an unknown key', async () => {
    const body = JSON.stringify({ room: newTag() })
    await expectError(await post(body, { 'Content-Type': 'application/json' }), 401, 'UNAUTHORIZED')
    await expectError(
      await post(body, { Authorization: 'Basic x', 'Content-Type': 'application/json' }),
      400,
      'BAD_MESSAGE',
    )
    await expectError(
      await post(body, { ...bearer('lic_nope'), 'Content-Type': 'application/json' }),
      403,
      'FORBIDDEN',
    )
  })

  it('415 on a missing or wrong Content-Type', async () => {
    const body = JSON.stringify({ room: newTag() })
    await expectError(
      await post(body, { ...bearer(KEY), 'Content-Type': 'text/plain' }),
      415,
      'BAD_MESSAGE',
    )
    await expectError(
      await post(body, { ...bearer(KEY), 'Content-Type': 'application/x-www-form-urlencoded' }),
      415,
      'BAD_MESSAGE',
    )
  })

  it.each([
    [''],
    ['{'],
    ['null'],
    ['[]'],
    ['"room"'],
    ['{}'],
    ['{"room": 42}'],
    ['{"room": "my-room"}'],
    [`{"room": "${'A'.repeat(42)}"}`],
    [`{"room": "${'A'.repeat(44)}"}`],
    [`{"room": "${'A'.repeat(42)}="}`],
    ['{"__proto__": {"room": "x"}}'],
    ['\u0000\u0001garbage'],
  ])('400 BAD_MESSAGE on body %j', async (body) => {
    await expectError(await post(body), 400, 'BAD_MESSAGE')
  })

  it('413 TOO_LARGE on a declared oversize body, and the server keeps serving', async () => {
    const big = JSON.stringify({ room: newTag(), pad: 'x'.repeat(20_000) })
    await expectError(await post(big), 413, 'TOO_LARGE')
    const huge = Buffer.alloc(5 * 1024 * 1024, 0x61)
    const res = await raw(url, '/api/room-grant', {
      method: 'POST',
      headers: {
        ...bearer(KEY),
        'Content-Type': 'application/json',
        'Content-Length': String(huge.length),
      },
      body: huge,
    })
    // The unread upload is drained (briefly) so the 413 is not lost to a TCP reset.
    expect(res.status).toBe(413)
    expect(res.headers.connection).toBe('close')
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
  })

  it('413 TOO_LARGE on an oversize chunked body (no Content-Length)', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(new Uint8Array(4096).fill(0x20))
        controller.close()
      },
    })
    const res = await fetch(`${url}/api/room-grant`, {
      method: 'POST',
      headers: { ...bearer(KEY), 'Content-Type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit)
    await expectError(res, 413, 'TOO_LARGE')
  })

  it('408 TIMEOUT when the body never finishes', async () => {
    const { port } = new URL(url)
    const started = Date.now()
    const res = await new Promise<RawResponse>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: Number(port),
          path: '/api/room-grant',
          method: 'POST',
          headers: { ...bearer(KEY), 'Content-Type': 'application/json', 'Content-Length': '100' },
        },
        (r) => {
          let text = ''
          r.on('data', (c: Buffer) => (text += c.toString()))
          r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body: text }))
        },
      )
      req.on('error', reject)
      req.write('{"room":')
    })
    expect(res.status).toBe(408)
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'TIMEOUT' } })
    expect(Date.now() - started).toBeLessThan(3000)
  })
})

describe('CORS, routing, health, metrics and the status page', () => {
  let url: string
  beforeAll(async () => {
    url = await serve({ licenseKeys: [KEY], grantSecret: GRANT_SECRET })
  })

  it.each(['/api/turn', '/api/room-grant'])(
    'preflight OPTIONS %s → 204 with CORS headers',
    async (path) => {
      const res = await fetch(`${url}${path}`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://embedder.example',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'authorization, content-type, x-kibitz-grant',
        },
      })
      expect(res.status).toBe(204)
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      expect(res.headers.get('access-control-allow-headers')).toBe(
        'Authorization, Content-Type, X-Kibitz-Grant',
      )
      expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS')
    },
  )

  it('405 with Allow on the wrong method', async () => {
    const a = await fetch(`${url}/api/turn`, { method: 'POST' })
    expect(a.headers.get('allow')).toBe('GET, HEAD, OPTIONS')
    expect(a.headers.get('access-control-allow-origin')).toBe('*')
    await expectError(a, 405, 'BAD_MESSAGE')
    const b = await fetch(`${url}/api/room-grant`)
    expect(b.headers.get('allow')).toBe('POST, OPTIONS')
    await expectError(b, 405, 'BAD_MESSAGE')
    await expectError(await fetch(`${url}/healthz`, { method: 'DELETE' }), 405, 'BAD_MESSAGE')
    await expectError(await fetch(`${url}/metrics`, { method: 'PUT' }), 405, 'BAD_MESSAGE')
    await expectError(await fetch(`${url}/`, { method: 'POST' }), 405, 'BAD_MESSAGE')
  })

  it('404 NOT_FOUND JSON elsewhere', async () => {
    for (const path of ['/api', '/api/', '/api/nope', '/nope', '/healthz/x', '/index.html']) {
      await expectError(await fetch(`${url}${path}`), 404, 'NOT_FOUND')
    }
    expect((await fetch(`${url}/api/nope`)).headers.get('access-control-allow-origin')).toBe('*')
  })

  it('GET /healthz → 200 {ok: true, ...health()}', async () => {
    const res = await fetch(`${url}/healthz`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true, sockets: 3, tags: 1 })
  })

  it('health() may report ok: false → 503; a throwing health() → 500 INTERNAL, never a crash', async () => {
    const down = await serve({ health: () => ({ ok: false, reason: 'redis down' }) })
    expect((await fetch(`${down}/healthz`)).status).toBe(503)
    const broken = await serve({
      health: () => {
        throw new Error('secret internals')
      },
    })
    const res = await fetch(`${broken}/healthz`)
    expect(await res.text()).not.toContain('secret internals')
    expect(res.status).toBe(500)
    expect((await fetch(`${broken}/healthz`)).status).toBe(500)
  })

  it('GET /metrics → Prometheus text', async () => {
    const res = await fetch(`${url}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(await res.text()).toContain('kibitz_sockets 3')
  })

  it('GET / → a self-contained status page', async () => {
    const res = await fetch(`${url}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const html = await res.text()
    expect(html).toContain('<title>Kibitz broker</title>')
    expect(html).toContain('running')
    expect(html).toContain('<span id="sockets">3</span>')
    expect(html).toContain('href="/healthz"')
    expect(html).toContain('href="/metrics"')
    expect(html).toMatch(/cannot see room names/)
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\//)
  })

  it('the status page escapes what health() returns', async () => {
    const u = await serve({ health: () => ({ sockets: 1, note: '<img src=x onerror=alert(1)>' }) })
    const html = await (await fetch(`${u}/`)).text()
    expect(html).not.toContain('<img')
    expect(html).toContain('&lt;img')
  })
})
