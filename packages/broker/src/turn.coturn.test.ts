import { execFile, spawnSync } from 'node:child_process'
import { startCoturn, type CoturnHandle } from '@kibitz/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { baseHttpOptions, startHttpServer } from './testing/http-server.js'
import type { HttpTestServer } from './testing/http-server.js'

/**
 * The credentials `/api/turn` mints allocate on a real coturn (`--use-auth-secret`), checked with
 * coturn's own `turnutils_uclient`; a wrong and an expired credential are refused with 401.
 * Needs the Debian `coturn` package (TESTING.md § TURN).
 */

const has = (bin: string): boolean => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0
const available = has('turnserver') && has('turnutils_uclient')
const HINT =
  'coturn is not installed: run `apt-get update && apt-get install -y coturn` (TESTING.md § TURN)'

if (!available && !process.env.CI) {
  console.warn(
    `\n\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n!!! SKIPPING the real-coturn test: ${HINT}\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n`,
  )
}

interface UclientResult {
  code: number
  output: string
}

/** `turnutils_uclient -y -n 1 -l 32 -u USER -w PASS -p PORT -L 127.0.0.1 HOST` */
function uclient(
  host: string,
  port: number,
  username: string,
  credential: string,
): Promise<UclientResult> {
  const args = [
    '-y',
    '-n',
    '1',
    '-l',
    '32',
    '-u',
    username,
    '-w',
    credential,
    '-p',
    String(port),
    '-L',
    '127.0.0.1',
    host,
  ]
  return new Promise((resolve) => {
    execFile('turnutils_uclient', args, { timeout: 10_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0
      resolve({ code, output: `${stdout}\n${stderr}` })
    })
  })
}

interface TurnBody {
  iceServers: { urls: string[]; username?: string; credential?: string }[] | null
  configured: boolean
  tier: string
}

/** Read the TURN entry from an /api/turn answer and the host:port its first URL names. */
function turnEntry(body: TurnBody): {
  host: string
  port: number
  username: string
  credential: string
} {
  const entry = body.iceServers?.find((s) => s.username !== undefined)
  const match = /^turn:([\d.]+):(\d+)/.exec(entry?.urls[0] ?? '')
  if (!entry?.username || !entry.credential || !match?.[1] || !match[2])
    throw new Error('no TURN entry')
  return {
    host: match[1],
    port: Number(match[2]),
    username: entry.username,
    credential: entry.credential,
  }
}

describe.skipIf(!available && !process.env.CI)('TURN REST credentials on a real coturn', () => {
  let coturn: CoturnHandle | undefined
  let secret: string
  let port: number
  const servers: HttpTestServer[] = []
  let clock = Date.now()

  const logText = (): string => coturn?.log() ?? ''

  const broker = async (turnSecret: string, licenseKeys: string[] = []): Promise<string> => {
    const s = await startHttpServer(
      baseHttpOptions({
        turn: {
          secret: turnSecret,
          urls: [`turn:127.0.0.1:${port}?transport=udp`],
          ttlSeconds: 600,
        },
        licenseKeys,
        now: () => clock,
      }),
    )
    servers.push(s)
    return s.url
  }

  beforeAll(async () => {
    if (!available) throw new Error(HINT)
    coturn = await startCoturn('turnserver')
    secret = coturn.secret
    port = coturn.port
  })

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()))
    await coturn?.stop() // by PID
  })

  it('good credentials from /api/turn allocate a relay (open and premium tiers)', async () => {
    clock = Date.now()
    const open = await broker(secret)
    const openBody = (await (await fetch(`${open}/api/turn`)).json()) as TurnBody
    expect(openBody).toMatchObject({ configured: true, tier: 'open' })
    const premium = await broker(secret, ['lic_coturn_key'])
    const premiumBody = (await (
      await fetch(`${premium}/api/turn`, { headers: { Authorization: 'Bearer lic_coturn_key' } })
    ).json()) as TurnBody
    expect(premiumBody).toMatchObject({ configured: true, tier: 'premium' })
    const creds = [turnEntry(openBody), turnEntry(premiumBody)]
    expect(creds[0]?.port).toBe(port)
    // uclient spends seconds in its own send loop: run both allocations side by side.
    const results = await Promise.all(
      creds.map((t) => uclient(t.host, t.port, t.username, t.credential)),
    )
    const log = logText()
    for (const [i, res] of results.entries()) {
      expect(res.code, res.output).toBe(0)
      expect(res.output).not.toContain('Cannot complete Allocation')
      expect(res.output).toMatch(/tot_recv_msgs=[1-9]/)
      expect(log).toContain(
        `user <${creds[i]?.username}>: incoming packet ALLOCATE processed, success`,
      )
    }
  })

  it('a credential minted with the wrong secret is refused (401)', async () => {
    // Shift the clock so this username differs from the good tests' and can be found in the log.
    clock = Date.now() + 7_000
    const url = await broker('not-the-coturn-secret')
    const t = turnEntry((await (await fetch(`${url}/api/turn`)).json()) as TurnBody)
    const res = await uclient(t.host, t.port, t.username, t.credential)
    expect(res.code).not.toBe(0)
    expect(res.output).toContain('Cannot complete Allocation')
    const log = logText()
    expect(log).toContain(
      `user <${t.username}>: incoming packet message processed, error 401: Unauthorized`,
    )
    expect(log).not.toContain(`user <${t.username}>: incoming packet ALLOCATE processed, success`)
  })

  it('an expired credential is refused (401)', async () => {
    // Minted an hour ago with a 10-minute TTL: the expiry in the username is in the past.
    clock = Date.now() - 3600_000
    const url = await broker(secret)
    const t = turnEntry((await (await fetch(`${url}/api/turn`)).json()) as TurnBody)
    expect(Number(t.username.split(':')[0])).toBeLessThan(Date.now() / 1000)
    const res = await uclient(t.host, t.port, t.username, t.credential)
    expect(res.code).not.toBe(0)
    expect(res.output).toContain('Cannot complete Allocation')
    const log = logText()
    expect(log).toContain(
      `user <${t.username}>: incoming packet message processed, error 401: Unauthorized`,
    )
    expect(log).not.toContain(`user <${t.username}>: incoming packet ALLOCATE processed, success`)
  })
})
