import { ErrorCode } from '@kibitz/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import { loopbackOnly } from './candidates.js'
import { createMesh, type Mesh } from './mesh.js'
import { HANDSHAKE_FAILED } from './link-core.js'
import { createNativePeerLink, nativeIceServers, nativePeerLinkFactory } from './native-link.js'
import { nodeWrtcCleanup } from './node-wrtc.js'
import type { PeerLink, PeerLinkOptions } from './peer-link.js'
import type { MeshValue } from './payload.js'
import { createSignalHub } from './testing/hub.js'
import {
  expectCarriesData,
  expectFilteredOnOneSide,
  expectOpenedAhead,
  linkContract,
} from './testing/link-contract.js'
import {
  bytes,
  forward,
  linkSide,
  openLinkPair,
  openSides,
  type Side,
} from './testing/link-pair.js'
import { waitFor } from './testing/wait.js'

// The native link (M43) on real node-datachannel, 127.0.0.1: two links back to back, signals
// JSON-copied and forwarded with delays we choose; then a mesh of three on it.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const made: PeerLink[] = []
const meshes: Mesh[] = []
const make = (o: PeerLinkOptions) => createNativePeerLink(o, { bindAddress: '127.0.0.1' })
const side = (initiator: boolean, extra: Partial<PeerLinkOptions> = {}): Side =>
  linkSide(make, initiator, extra, made)
const openPair = (sdpDelayMs = 0) => openLinkPair(make, { sdpDelayMs, made })

afterAll(async () => {
  await Promise.all(meshes.map((m) => m.close()))
  for (const link of made) link.destroy()
  await sleep(50)
  nodeWrtcCleanup()
})

describe('createNativePeerLink on node-datachannel (M43)', () => {
  it('opens when every candidate beats its description; binary both ways; a string stays a string; the offerer is the DTLS client', async () => {
    const [a, b] = await openPair(150)
    expectOpenedAhead(a, b)
    await expectCarriesData(a, b)

    const stats = await a.link.getStats!()
    expect(stats).toMatchObject({ path: 'direct', loss: null, media: null })
    expect(stats!.localCandidateType).toMatch(/^(host|prflx)$/)
    expect(stats!.rttMs === null || stats!.rttMs >= 0).toBe(true)
    for (const s of [a, b]) s.link.destroy()
  })

  it('a tampered answer fingerprint: ICE connects, the handshake fails, typed as such, and both ends close', async () => {
    const a = side(true)
    const b = side(false)
    forward(a, b)
    b.link.on('signal', ({ signal }) => {
      const copy = JSON.parse(JSON.stringify(signal)) as typeof signal
      if (copy.kind === 'sdp')
        copy.description.sdp = copy.description.sdp.replace(
          /^(a=fingerprint:sha-256 )([0-9A-F]{2})/m,
          (_, head: string, byte: string) => head + (byte === '00' ? '01' : '00'),
        )
      setTimeout(() => a.link.signal(copy), 0)
    })
    await waitFor(() => a.log.includes('close') && b.log.includes('close'), 10_000, 'both close')
    expect(a.log).not.toContain('open')
    expect(a.errors.map((e) => [e.code, e.message])).toEqual([
      [ErrorCode.INTERNAL, HANDSHAKE_FAILED],
    ])
  })

  linkContract(make, made)

  it('candidateFilter keeps candidates out of what it sends, trickled and inside SDP (M12)', async () => {
    const a = side(true)
    const b = linkSide(
      (o) => createNativePeerLink(o, { bindAddress: '127.0.0.1', candidateFilter: () => false }),
      false,
      {},
      made,
    )
    forward(a, b)
    await waitFor(() => b.sent.some((s) => s.kind === 'sdp'), 5_000, 'b answers')
    await sleep(300)
    expectFilteredOnOneSide(a, b)
    a.link.destroy()
    b.link.destroy()
  })

  it('asked for media lanes: NOT_CONFIGURED, and the link still carries data (M33)', async () => {
    const media = { tracks: { audio: null, video: null, share: null, shareAudio: null } }
    const [a, b] = await openSides(() => [side(true, { media }), side(false, { media })])
    for (const s of [a, b]) {
      expect(s.errors.map((e) => e.code)).toEqual([ErrorCode.NOT_CONFIGURED])
      expect(s.link.media).toBeUndefined()
    }
    a.link.send(bytes(5, 5))
    await waitFor(() => b.data.length === 1, 5_000, 'data')
    a.link.destroy()
    b.link.destroy()
  })

  it('TURN credentials go into the URLs libdatachannel takes, percent-encoded', () => {
    expect(
      nativeIceServers([
        { urls: 'stun:127.0.0.1:3478' },
        {
          urls: ['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3479'],
          username: '1795293622:user',
          credential: 'a+b/c=',
        },
      ]),
    ).toEqual([
      'stun:127.0.0.1:3478',
      'turn:1795293622%3Auser:a%2Bb%2Fc%3D@127.0.0.1:3478?transport=udp',
      'turn:1795293622%3Auser:a%2Bb%2Fc%3D@127.0.0.1:3479',
    ])
  })
})

describe('a mesh on native links', () => {
  it('three peers reach each other; sendTo reaches only its target', async () => {
    const hub = createSignalHub()
    const ids = ['n-a', 'n-b', 'n-c']
    const inbox = new Map<string, { data: MeshValue; from: string }[]>()
    for (const id of ids) {
      const mesh = createMesh({
        self: id,
        signaling: hub.endpoint(id),
        iceServers: [],
        byeFlushMs: 100,
        createLink: nativePeerLinkFactory({
          bindAddress: '127.0.0.1',
          candidateFilter: loopbackOnly,
        }),
      })
      meshes.push(mesh)
      inbox.set(id, [])
      mesh.onMessage((data, from) => inbox.get(id)!.push({ data, from }))
    }
    for (const m of meshes) m.setPeers(ids)
    await waitFor(() => meshes.every((m) => m.connectedPeers().length === 2), 15_000, 'full mesh')
    meshes[0]!.sendTo('n-c', { only: 'c' })
    meshes[1]!.broadcast(bytes(200_000, 9))
    await waitFor(
      () => inbox.get('n-c')!.length === 2 && inbox.get('n-a')!.length === 1,
      10_000,
      'messages',
    )
    expect(inbox.get('n-c')!.find((m) => m.from === 'n-a')!.data).toEqual({ only: 'c' })
    expect(inbox.get('n-a')![0]!.data).toEqual(bytes(200_000, 9))
    expect(inbox.get('n-b')).toEqual([])
  })
})
