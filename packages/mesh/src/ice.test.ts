import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startBroker, type Broker } from '@kibitz/broker'
import { deriveRoomKeys, Emitter, ErrorCode, type KibitzError } from '@kibitz/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchIceServers, hasTurnServer, parseIceResponse } from './ice.js'
import { createMesh } from './mesh.js'
import type { LinkSignal, PeerLink, PeerLinkEvents, PeerLinkOptions } from './peer-link.js'
import { createSignalHub } from './testing/hub.js'

// fetchIceServers against REAL brokers (`startBroker`, real /api/turn) and a raw HTTP server for
// hostile answers; relay-only fail-closed with a recording link factory (M28–M31).
const SECRET = 'ice-test-turn-secret'
const TURN_URLS = ['stun:127.0.0.1:3478', 'turn:127.0.0.1:3478?transport=udp']
const LICENSE = 'lic_ice_test_key'
const brokers: Broker[] = []
let open: Broker
let licensed: Broker
let noTurn: Broker
let raw: Server
let rawUrl: string
let rawHandler: (path: string, res: ServerResponse) => void = () => {}

beforeAll(async () => {
  const start = async (config: Parameters<typeof startBroker>[0]) => {
    const b = await startBroker({ port: 0, host: '127.0.0.1', ...config })
    brokers.push(b)
    return b
  }
  open = await start({ turnSecret: SECRET, turnUrls: TURN_URLS })
  licensed = await start({
    turnSecret: SECRET,
    turnUrls: TURN_URLS,
    licenseKeys: [LICENSE],
    grantSecret: 'ice-test-grant-secret',
  })
  noTurn = await start({})
  raw = createServer((req, res) => rawHandler(req.url ?? '', res))
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve))
  rawUrl = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`
})

afterAll(async () => {
  raw.closeAllConnections()
  await new Promise((resolve) => raw.close(resolve))
  await Promise.all(brokers.map((b) => b.close()))
})

const errorOf = (r: { ok: boolean; error?: KibitzError }) => (r.ok ? null : r.error!.code)

describe('fetchIceServers against a real broker (M28)', () => {
  it('open tier: TURN with a REST credential; headers are ignored', async () => {
    const r = await fetchIceServers({ turnHost: open.url, licenseKey: 'whatever' })
    if (!r.ok) throw r.error
    expect(r.value).toMatchObject({ configured: true, tier: 'open', hasTurn: true })
    const turn = r.value.iceServers.find((s) => s.username)!
    expect(turn.urls).toEqual(['turn:127.0.0.1:3478?transport=udp'])
    expect(turn.username).toMatch(/^\d+:open$/)
    expect(r.value.iceServers[0]).toEqual({ urls: ['stun:127.0.0.1:3478'] })
    expect(r.value.expiresAt).toBe(Number(turn.username!.split(':')[0]))
  })

  it('premium tier with the Bearer key; unknown key → UNAUTHORIZED (401)', async () => {
    const r = await fetchIceServers({ turnHost: `${licensed.url}/`, licenseKey: LICENSE })
    if (!r.ok) throw r.error
    expect(r.value).toMatchObject({ configured: true, tier: 'premium', hasTurn: true })
    const bad = await fetchIceServers({ turnHost: licensed.url, licenseKey: 'lic_wrong' })
    expect(errorOf(bad)).toBe(ErrorCode.UNAUTHORIZED)
    const malformed = await fetchIceServers({ turnHost: licensed.url, licenseKey: 'a b' })
    expect(errorOf(malformed)).toBe(ErrorCode.BAD_MESSAGE)
  })

  it('room tier with X-Kibitz-Grant (scope checked with room); forged grant → UNAUTHORIZED', async () => {
    const keys = await deriveRoomKeys('ice-test-room')
    if (!keys.ok) throw keys.error
    const res = await fetch(`${licensed.url}/api/room-grant`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${LICENSE}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ room: keys.value.tag }),
    })
    const { grant } = (await res.json()) as { grant: string }
    const r = await fetchIceServers({ turnHost: licensed.url, grant, room: keys.value.tag })
    if (!r.ok) throw r.error
    expect(r.value).toMatchObject({ tier: 'room', hasTurn: true })
    const other = await deriveRoomKeys('another-room')
    if (!other.ok) throw other.error
    const wrongRoom = await fetchIceServers({
      turnHost: licensed.url,
      grant,
      room: other.value.tag,
    })
    expect(errorOf(wrongRoom)).toBe(ErrorCode.FORBIDDEN)
    const forged = await fetchIceServers({ turnHost: licensed.url, grant: `${grant}x` })
    expect(errorOf(forged)).toBe(ErrorCode.UNAUTHORIZED)
  })

  it('free tier gets STUN only; a broker without TURN answers configured: false', async () => {
    const free = await fetchIceServers({ turnHost: licensed.url })
    if (!free.ok) throw free.error
    expect(free.value).toEqual({
      iceServers: [{ urls: ['stun:127.0.0.1:3478'] }],
      configured: true,
      tier: 'free',
      expiresAt: null,
      hasTurn: false,
    })
    const none = await fetchIceServers({ turnHost: noTurn.url })
    if (!none.ok) throw none.error
    expect(none.value).toMatchObject({ iceServers: [], configured: false, hasTurn: false })
  })
})

describe('fetchIceServers never throws on hostile or missing brokers (M28)', () => {
  it('bad bodies → BAD_MESSAGE; oversized → TOO_LARGE; unknown status → the broker code or a mapped one', async () => {
    const answers: [string, number, string][] = [
      ['not json', 200, 'BAD_MESSAGE'],
      ['{"iceServers":[],"configured":"yes","tier":"open"}', 200, 'BAD_MESSAGE'],
      [
        '{"iceServers":[{"urls":["http://evil"]}],"configured":true,"tier":"open"}',
        200,
        'BAD_MESSAGE',
      ],
      ['{"iceServers":[{"urls":[]}],"configured":true,"tier":"open"}', 200, 'BAD_MESSAGE'],
      ['[]', 200, 'BAD_MESSAGE'],
      ['null', 200, 'BAD_MESSAGE'],
      ['x'.repeat(70_000), 200, 'TOO_LARGE'],
      ['{"error":{"code":"RATE_LIMITED","message":"slow"}}', 429, 'RATE_LIMITED'],
      ['<html>gateway</html>', 502, 'INTERNAL'],
      ['', 404, 'NOT_FOUND'],
    ]
    for (const [body, status, code] of answers) {
      rawHandler = (_path, res) => {
        res.writeHead(status, { 'Content-Type': 'application/json' })
        res.end(body)
      }
      const r = await fetchIceServers({ turnHost: rawUrl })
      expect(errorOf(r), body.slice(0, 60)).toBe(code)
    }
    // Unknown fields are tolerated, a single-string `urls` is normalised.
    rawHandler = (_path, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end(
        '{"iceServers":[{"urls":"turns:t.example:5349","username":"1:u","credential":"c"}],' +
          '"configured":true,"tier":"future-tier","extra":1}',
      )
    }
    const r = await fetchIceServers({ turnHost: rawUrl })
    if (!r.ok) throw r.error
    expect(r.value).toMatchObject({ tier: 'future-tier', hasTurn: true })
    expect(r.value.iceServers[0]!.urls).toEqual(['turns:t.example:5349'])
  })

  it('a broker that never answers → TIMEOUT; nothing listening → INTERNAL; no host → NOT_CONFIGURED', async () => {
    let hung = 0
    rawHandler = () => void hung++ // never respond
    const t0 = Date.now()
    const r = await fetchIceServers({ turnHost: rawUrl, timeoutMs: 200 })
    expect(errorOf(r)).toBe(ErrorCode.TIMEOUT)
    expect(Date.now() - t0).toBeLessThan(2_000)
    expect(hung).toBe(1)
    raw.closeAllConnections()

    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    expect(errorOf(await fetchIceServers({ turnHost: `http://127.0.0.1:${port}` }))).toBe(
      ErrorCode.INTERNAL,
    )
    expect(errorOf(await fetchIceServers({}))).toBe(ErrorCode.NOT_CONFIGURED)
    expect(errorOf(await fetchIceServers({ turnHost: 'ftp://127.0.0.1' }))).toBe(
      ErrorCode.NOT_CONFIGURED,
    )
  })

  it('parseIceResponse and hasTurnServer', () => {
    expect(parseIceResponse({ iceServers: null, configured: false, tier: 'open' })).toEqual({
      ok: true,
      value: { iceServers: [], configured: false, tier: 'open', expiresAt: null, hasTurn: false },
    })
    expect(hasTurnServer([{ urls: 'turn:h:1' }])).toBe(false) // no credential
    expect(hasTurnServer([{ urls: ['stun:h:1'], username: 'u', credential: 'c' }])).toBe(false)
    expect(
      hasTurnServer([{ urls: ['stun:h:1', 'TURN:h:1'], username: 'u', credential: 'c' }]),
    ).toBe(true)
  })
})

/** A link that records its options and emits whatever candidates the test wants. */
function recordingFactory(emit: LinkSignal[]) {
  const made: PeerLinkOptions[] = []
  const factory = (options: PeerLinkOptions): PeerLink => {
    made.push(options)
    const events = new Emitter<PeerLinkEvents>()
    setImmediate(() => {
      for (const signal of emit) events.emit('signal', { signal })
    })
    return {
      initiator: options.initiator,
      connected: false,
      bufferedAmount: 0,
      signal: () => {},
      send: () => {},
      on: (e, cb) => events.on(e, cb),
      destroy: () => events.emit('close', {}),
    }
  }
  return { made, factory }
}

const TURN = [{ urls: ['turn:127.0.0.1:3478'], username: '1:u', credential: 'c' }]

describe('relay-only mode (M29, M30)', () => {
  it('fails closed without TURN: no link is ever created, typed NOT_CONFIGURED, offers ignored', async () => {
    for (const iceServers of [
      [],
      [{ urls: ['stun:127.0.0.1:3478'] }],
      TURN.map((s) => ({ urls: s.urls })),
    ]) {
      const hub = createSignalHub()
      const { made, factory } = recordingFactory([])
      const mesh = createMesh({
        self: 'a',
        signaling: hub.endpoint('a'),
        createLink: factory,
        iceServers,
        relayOnly: true,
        dialAfterMs: 10,
      })
      const errors: string[] = []
      mesh.on('error', (e) => errors.push(e.error.code))
      expect(mesh.relayOnly).toBe(true)
      expect(mesh.blocked?.code).toBe(ErrorCode.NOT_CONFIGURED)
      mesh.setPeers(['a', 'b', 'c'])
      // b is the larger id (we would dial); an offer from 0 (smaller id) would make us answer.
      mesh.setPeers(['0', 'a', 'b'])
      hub.inject('0', 'a', { t: 'sdp', description: { type: 'offer', sdp: 'v=0\r\n' }, link: 1 })
      await new Promise((r) => setTimeout(r, 50))
      expect(made).toEqual([])
      expect(hub.log.filter((l) => l.from === 'a')).toEqual([]) // not even a dial
      expect(errors).toEqual([ErrorCode.NOT_CONFIGURED])
      expect(mesh.stats('b')!.state).toBe('blocked')
      expect(() => mesh.sendTo('b', 'x')).toThrow(
        expect.objectContaining({ code: 'NOT_CONFIGURED' }),
      )
      expect(mesh.broadcast('x')).toBe(0)
      await mesh.close()
    }
  })

  it('with TURN: links ask for relay policy and only relay candidates leave in signaling', async () => {
    const host = 'candidate:1 1 UDP 2122317823 127.0.0.2 50000 typ host'
    const relay = 'candidate:2 1 UDP 16777215 127.0.0.1 49170 typ relay raddr 0.0.0.0 rport 0'
    const sdp = `v=0\r\na=mid:0\r\na=${host}\r\na=${relay}\r\n`
    const { made, factory } = recordingFactory([
      { kind: 'sdp', description: { type: 'offer', sdp } },
      { kind: 'ice', candidate: { candidate: host, sdpMid: '0', sdpMLineIndex: 0 } },
      { kind: 'ice', candidate: { candidate: relay, sdpMid: '0', sdpMLineIndex: 0 } },
    ])
    const hub = createSignalHub()
    hub.endpoint('b').onSignal(() => {})
    const mesh = createMesh({
      self: 'a',
      signaling: hub.endpoint('a'),
      createLink: factory,
      iceServers: TURN,
      relayOnly: true,
    })
    expect(mesh.blocked).toBeNull()
    mesh.setPeers(['a', 'b'])
    await new Promise((r) => setTimeout(r, 50))
    expect(made).toEqual([{ initiator: true, iceServers: TURN, iceTransportPolicy: 'relay' }])
    const sent = hub.log.filter((l) => l.from === 'a').map((l) => l.message)
    expect(sent).toHaveLength(2)
    expect(sent[0]).toMatchObject({ t: 'sdp' })
    const sentSdp = (sent[0] as { description: { sdp: string } }).description.sdp
    expect(sentSdp).toContain('typ relay')
    expect(sentSdp).not.toContain('typ host')
    expect(sent[1]).toMatchObject({ t: 'ice', candidate: { candidate: relay } })
    await mesh.close()

    // Normal mode: policy 'all', every candidate goes out.
    const normal = recordingFactory([])
    const m2 = createMesh({ self: 'a', signaling: hub.endpoint('a'), createLink: normal.factory })
    m2.setPeers(['b'])
    expect(normal.made[0]!.iceTransportPolicy).toBe('all')
    expect(m2.relayOnly).toBe(false)
    await m2.close()
  })
})
