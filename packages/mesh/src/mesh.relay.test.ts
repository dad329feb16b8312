import { createHash, randomBytes } from 'node:crypto'
import { startBroker, type Broker } from '@kibitz/broker'
import { ErrorCode } from '@kibitz/protocol'
import {
  requireBinary,
  startCoturn,
  type CoturnHandle,
  type CoturnSession,
} from '@kibitz/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { candidateAddress } from './candidates.js'
import { fetchIceServers } from './ice.js'
import { createMesh, type Mesh, type MeshOptions } from './mesh.js'
import { nodeWrtc, nodeWrtcCleanup } from './node-wrtc.js'
import type { MeshValue } from './payload.js'
import { createSignalHub, sdpSetups, type SignalHub } from './testing/hub.js'
import { waitFor } from './testing/wait.js'

/**
 * Relay-only through a REAL coturn (`--use-auth-secret`) with credentials from a REAL broker's
 * `/api/turn` (M28–M32). The two node-datachannel peers bind to DISTINCT loopback addresses
 * (127.0.0.2, 127.0.0.3): bound to the same address they bypass TURN even with relay policy
 * (TESTING.md). coturn's live per-allocation counters (its admin CLI's `ps`) prove the bytes crossed
 * the relay.
 * Missing coturn: fails on CI, skips loudly elsewhere.
 */
const turnserver = requireBinary('turnserver')

const RELAY_KEY = 'lic_relay_run'
const DIRECT_KEY = 'lic_direct_run'
const PAYLOAD_BYTES = 3_000_000
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
/** The broker's premium-tier TURN user: the first 16 chars of base64url(SHA-256(key)). */
const licenseTag = (key: string) =>
  createHash('sha256').update(key).digest('base64url').slice(0, 16)
/** Loopback only, whichever 127.x address (relay candidates are coturn's 127.0.0.1). */
const loopback8 = (c: string) => candidateAddress(c)?.startsWith('127.') === true

describe.skipIf(!turnserver)('relay-only through a real coturn', () => {
  let coturn: CoturnHandle
  let broker: Broker
  let noTurnBroker: Broker
  const meshes: Mesh[] = []

  /** Live allocations of one TURN user, by the loopback address of the client that made them. */
  async function allocationsOf(user: string): Promise<Map<string, CoturnSession>> {
    const byClient = new Map<string, CoturnSession>()
    for (const s of await coturn.sessions())
      if (s.username.endsWith(`:${user}`)) byClient.set(s.clientAddress.split(':')[0]!, s)
    return byClient
  }

  beforeAll(async () => {
    coturn = await startCoturn(turnserver!, {
      realm: 'kibitz-mesh-test',
      extraArgs: ['--no-tcp-relay'],
    })
    broker = await startBroker({
      port: 0,
      host: '127.0.0.1',
      turnSecret: coturn.secret,
      turnUrls: [coturn.url],
      turnTtlSeconds: 600,
      licenseKeys: [RELAY_KEY, DIRECT_KEY],
    })
    noTurnBroker = await startBroker({ port: 0, host: '127.0.0.1' })
  })

  afterAll(async () => {
    await Promise.all(meshes.map((m) => m.close()))
    await broker?.close()
    await noTurnBroker?.close()
    await coturn?.stop() // by PID
    nodeWrtcCleanup()
  })

  function pair(
    hub: SignalHub,
    base: Omit<MeshOptions, 'self' | 'signaling' | 'wrtc'>,
    overrides: [Partial<MeshOptions>, Partial<MeshOptions>] = [{}, {}],
  ) {
    const inbox: { data: MeshValue; from: string }[][] = [[], []]
    const made = (['r-a', 'r-b'] as const).map((self, i) => {
      const mesh = createMesh({
        self,
        signaling: hub.endpoint(self),
        // The trap: distinct loopback addresses, or libjuice pairs host↔host behind TURN's back.
        wrtc: nodeWrtc({ bindAddress: i === 0 ? '127.0.0.2' : '127.0.0.3' }),
        candidateFilter: loopback8,
        byeFlushMs: 100,
        ...base,
        ...overrides[i],
      })
      mesh.onMessage((data, from) => inbox[i]!.push({ data, from }))
      meshes.push(mesh)
      return mesh
    })
    for (const m of made) m.setPeers(['r-a', 'r-b'])
    return { a: made[0]!, b: made[1]!, inbox }
  }

  async function transfer(a: Mesh, b: Mesh, inbox: { data: MeshValue }[][]): Promise<number> {
    const payload = randomBytes(PAYLOAD_BYTES)
    const t0 = performance.now()
    a.sendTo('r-b', payload)
    b.sendTo('r-a', { back: 'hello' })
    await waitFor(() => inbox[1]!.length === 1 && inbox[0]!.length === 1, 15_000, 'transfer')
    const ms = performance.now() - t0
    expect(sha(inbox[1]![0]!.data as Uint8Array)).toBe(sha(payload))
    expect(inbox[0]![0]!.data).toEqual({ back: 'hello' })
    return ms
  }

  it('relay-only: credentials from /api/turn, bytes proven on coturn, stats say relay (M28–M32)', async () => {
    const ice = await fetchIceServers({ turnHost: broker.url, licenseKey: RELAY_KEY })
    if (!ice.ok) throw ice.error
    expect(ice.value).toMatchObject({ tier: 'premium', hasTurn: true })
    const user = licenseTag(RELAY_KEY)
    expect(ice.value.iceServers.find((s) => s.username)!.username).toBe(
      `${ice.value.expiresAt}:${user}`,
    )
    const hub = createSignalHub()
    const t0 = Date.now()
    const { a, b, inbox } = pair(hub, { iceServers: ice.value.iceServers, relayOnly: true })
    await waitFor(
      () => a.connectedPeers().length === 1 && b.connectedPeers().length === 1,
      15_000,
      'relay link',
    )
    const connectMs = Date.now() - t0
    // Node's default link (simple-peer, M40) offers as the DTLS client too (M42).
    expect(sdpSetups(hub)).toEqual(['answer a=setup:passive', 'offer a=setup:active'])
    // Nothing but relay candidates ever went out (M30).
    for (const { message } of hub.log) {
      if (message.t === 'ice' && message.candidate)
        expect(message.candidate.candidate).toMatch(/ typ relay/)
      if (message.t === 'sdp')
        for (const line of message.description.sdp.split(/\r?\n/))
          if (line.startsWith('a=candidate:')) expect(line).toMatch(/ typ relay/)
    }
    const ms = await transfer(a, b, inbox)
    const stats = await a.sampleStats('r-b')
    expect(stats!.connection).toMatchObject({ path: 'relay', localCandidateType: 'relay' })
    const statsB = await b.sampleStats('r-a')
    expect(statsB!.connection!.path).toBe('relay')
    console.log(
      `[mesh.relay] relay link up in ${connectMs} ms; ${PAYLOAD_BYTES / 1e6} MB in ${ms.toFixed(0)} ms ` +
        `(${(PAYLOAD_BYTES / 1e3 / ms).toFixed(1)} MB/s); stats ${JSON.stringify(stats!.connection)}`,
    )
    // The payload entered coturn from r-a's allocation (client rb) and left through r-b's (client
    // sb). coturn publishes a session's counters (log and CLI alike) each time its packets, client
    // and peer side together, reach a multiple of 4,096, so the tail of a transfer is only counted
    // at the next boundary. Small messages both ways push the count past it: at most 2,560 of
    // 16 bytes (well under 1 MB on the wire with headers, against a 3 MB payload), 10 s at most.
    let fromA: CoturnSession | undefined
    let toB: CoturnSession | undefined
    let padding = 0
    for (const deadline = Date.now() + 10_000; ;) {
      const allocations = await allocationsOf(user)
      fromA = allocations.get('127.0.0.2')
      toB = allocations.get('127.0.0.3')
      if ((fromA?.rb ?? 0) >= PAYLOAD_BYTES && (toB?.sb ?? 0) >= PAYLOAD_BYTES) break
      if (Date.now() > deadline || padding >= 2_560) break
      for (let i = 0; i < 64; i++) {
        a.sendTo('r-b', new Uint8Array(16))
        b.sendTo('r-a', new Uint8Array(16))
      }
      padding += 128
      await new Promise((r) => setTimeout(r, 50))
    }
    console.log(
      `[mesh.relay] coturn allocations for ${user} (after ${padding} small messages): ` +
        JSON.stringify([fromA, toB]),
    )
    expect(fromA?.rb).toBeGreaterThanOrEqual(PAYLOAD_BYTES)
    expect(toB?.sb).toBeGreaterThanOrEqual(PAYLOAD_BYTES)
    await a.close()
    await b.close()
  })

  it('relay-only without TURN fails closed: no link, typed error, never a direct fallback (M29)', async () => {
    const ice = await fetchIceServers({ turnHost: noTurnBroker.url })
    if (!ice.ok) throw ice.error
    expect(ice.value).toMatchObject({ configured: false, hasTurn: false, iceServers: [] })
    const hub = createSignalHub()
    const errors: string[] = []
    // r-b hides its IP; r-a is an ordinary peer (the initiator) that keeps offering.
    const { a, b } = pair(hub, { iceServers: ice.value.iceServers, connectTimeoutMs: 1_000 }, [
      {},
      { relayOnly: true },
    ])
    b.on('error', (e) => errors.push(e.error.code))
    expect(b.blocked?.code).toBe(ErrorCode.NOT_CONFIGURED)
    expect(a.blocked).toBeNull()
    await new Promise((r) => setTimeout(r, 2_500))
    expect(a.connectedPeers()).toEqual([])
    expect(b.connectedPeers()).toEqual([])
    expect(b.stats('r-a')!.state).toBe('blocked')
    // r-a offered (and re-offered); r-b never answered nor sent a single signal.
    expect(hub.log.some((l) => l.from === 'r-a' && l.message.t === 'sdp')).toBe(true)
    expect(hub.log.filter((l) => l.from === 'r-b')).toEqual([])
    expect(() => b.sendTo('r-a', 'x')).toThrow(expect.objectContaining({ code: 'NOT_CONFIGURED' }))
    await a.close()
    await b.close()
  })

  it('a direct run (TURN offered, not relay-only) does not cross coturn; stats say direct (M32)', async () => {
    const ice = await fetchIceServers({ turnHost: broker.url, licenseKey: DIRECT_KEY })
    if (!ice.ok) throw ice.error
    const user = licenseTag(DIRECT_KEY)
    const hub = createSignalHub()
    const { a, b, inbox } = pair(hub, { iceServers: ice.value.iceServers })
    await waitFor(
      () => a.connectedPeers().length === 1 && b.connectedPeers().length === 1,
      15_000,
      'direct link',
    )
    await transfer(a, b, inbox)
    const stats = await a.sampleStats('r-b')
    // host↔host, or prflx when a connectivity check beat the trickled candidate: never relay.
    expect(stats!.connection!.path).toBe('direct')
    expect(stats!.connection!.localCandidateType).toMatch(/^(host|prflx)$/)
    expect(stats!.connection!.remoteCandidateType).toMatch(/^(host|prflx)$/)
    console.log(`[mesh.relay] direct run stats ${JSON.stringify(stats!.connection)}`)
    // libjuice allocates on TURN anyway (it was offered), but no data may cross it.
    const allocations = [...(await allocationsOf(user)).values()]
    const relayed = allocations.reduce((sum, s) => sum + s.rb + s.sb, 0)
    console.log(
      `[mesh.relay] direct run: ${allocations.length} coturn allocation(s) for ${user}, ` +
        `${relayed} bytes through them`,
    )
    expect(relayed).toBeLessThan(PAYLOAD_BYTES / 100)
    await a.close()
    await b.close()
  })
})
