import { MEDIA_LANES } from '@kibitz/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import { createMesh, type Mesh, type MeshOptions } from './mesh.js'
import { loopbackOnly, nodeWrtc, nodeWrtcCleanup } from './node-wrtc.js'
import type { MeshValue } from './payload.js'
import { createSignalHub, type SignalHub } from './testing/hub.js'
import { closeMediaNodes, connected, lanesLive, spawnMediaNode } from './testing/media-mesh.js'
import { watchVideo } from './testing/roam.js'
import { waitFor } from './testing/wait.js'

// Media health (M36) on real WebRTC with media (@roamhq/wrtc), and media peers meeting data-only
// peers (node-datachannel), all on 127.0.0.1 through an in-memory hub.
const STALL_MS = 300
const dataOnly: Mesh[] = []
afterAll(async () => {
  await closeMediaNodes()
  await Promise.all(dataOnly.map((m) => m.close()))
  nodeWrtcCleanup()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('media health (roam)', () => {
  it('a healthy link is left alone; one whose remote stops all RTP is rebuilt once (M36)', async () => {
    const hub = createSignalHub()
    const a = spawnMediaNode(hub, 'alice', { mediaStallMs: STALL_MS })
    const b = spawnMediaNode(hub, 'bob', { mediaStallMs: STALL_MS })
    for (const n of [a, b]) n.mesh.setPeers(['alice', 'bob'])
    await connected([a, b])
    await lanesLive(a, 'bob')
    const generation = a.mesh.stats('bob')!.generation

    // Placeholders keep bytes flowing: three stall windows pass without a rebuild.
    await sleep(3 * STALL_MS)
    expect(a.mesh.stats('bob')!.generation).toBe(generation)
    expect(a.links).toHaveLength(1)
    expect([...a.errors, ...b.errors]).toEqual([])

    // Freeze bob's side of the link (every lane sends nothing): alice sees no media and rebuilds.
    const frozen = b.links[0]!
    for (const lane of MEDIA_LANES) frozen.media!.setTrack(lane, null)
    await waitFor(() => a.links.length === 2, 4 * STALL_MS, 'rebuild after the stall')
    expect(a.errors.map((e) => e.error.message)).toEqual([
      `no media from bob for ${STALL_MS} ms: rebuilding`,
    ])
    expect(a.errors[0]!.error.code).toBe('TIMEOUT')
    await connected([a, b])
    expect(a.mesh.stats('bob')!.generation).toBeGreaterThan(generation)

    // The new link carries media again (bob's new lanes start on the placeholders).
    await waitFor(() => a.tracks.filter((t) => t.peer === 'bob').length === 8, 5_000, 'lanes')
    const video = watchVideo(a.mesh.remoteTracks('bob')!.video!)
    await waitFor(() => video.sizes.length >= 3, 5_000, 'frames on the new link')
    video.stop()
    expect(new Set(video.sizes)).toEqual(new Set(['2x2']))
    await waitFor(() => a.mesh.stats('bob')!.mediaStalls === 0, 2_000, 'stall count reset')

    // …and is left alone: no reconnect loop.
    await sleep(3 * STALL_MS)
    expect(a.links).toHaveLength(2)
    expect(b.links).toHaveLength(2)
    expect(a.errors).toHaveLength(1)
    expect(b.errors).toEqual([])
    expect(a.mesh.stats('bob')!.renegotiations).toBe(0)
  })
})

describe('media peers and data-only peers (roam ↔ node-datachannel)', () => {
  function spawnDataOnly(hub: SignalHub, id: string, options: Partial<MeshOptions> = {}) {
    const got: { data: MeshValue; from: string }[] = []
    const errors: string[] = []
    const mesh = createMesh({
      self: id,
      signaling: hub.endpoint(id),
      wrtc: nodeWrtc({ bindAddress: '127.0.0.1' }),
      candidateFilter: loopbackOnly,
      byeFlushMs: 50,
      ...options,
    })
    mesh.onMessage((data, from) => got.push({ data, from }))
    mesh.on('error', ({ error }) => errors.push(`${error.code}: ${error.message}`))
    dataOnly.push(mesh)
    return { mesh, got, errors }
  }

  it('links both ways carry data, no media, and are never judged stalled (M33, M36)', async () => {
    const hub = createSignalHub()
    // ann < bob < cat: ann offers bob a data-only link; bob offers cat its four lanes.
    const ann = spawnDataOnly(hub, 'ann')
    const cat = spawnDataOnly(hub, 'cat')
    const bob = spawnMediaNode(hub, 'bob', { mediaStallMs: 200 })
    const bobGot: string[] = []
    bob.mesh.onMessage((_data, from) => bobGot.push(from))
    const ids = ['ann', 'bob', 'cat']
    for (const m of [ann.mesh, bob.mesh, cat.mesh]) m.setPeers(ids)
    await waitFor(
      () => [ann.mesh, bob.mesh, cat.mesh].every((m) => m.connectedPeers().length === 2),
      10_000,
      'mixed mesh open',
    )
    const offerToCat = hub.log.find((e) => e.from === 'bob' && e.message.t === 'sdp')!
    expect(JSON.stringify(offerToCat.message)).toMatch(/m=video/)

    await sleep(1_000) // five stall windows
    bob.mesh.broadcast('from bob')
    ann.mesh.sendTo('bob', 'from ann')
    cat.mesh.sendTo('bob', 'from cat')
    await waitFor(() => ann.got.length === 1 && cat.got.length === 1, 5_000, 'bob → data peers')
    await waitFor(() => bobGot.length === 2, 5_000, 'data peers → bob')
    // Never judged stalled. (A link may still be rebuilt for another reason: libdatachannel now
    // and then fails a DTLS handshake that raced its remote description, the link closes and the
    // recovery ladder redials; that is not what this test is about.)
    const everyError = [...bob.errors.map((e) => e.error.message), ...ann.errors, ...cat.errors]
    expect(everyError.filter((e) => /media/.test(e))).toEqual([])
    expect(bob.links.length).toBeLessThanOrEqual(4) // at most one rebuild per pair
    expect(bob.tracks).toEqual([]) // data-only peers send no media
    expect(Object.values(bob.mesh.remoteTracks('cat')!)).toEqual([null, null, null, null])
    for (const peer of ['ann', 'cat']) {
      const stats = (await bob.mesh.sampleStats(peer))!
      expect(stats.mediaStalls).toBe(0)
      expect(stats.renegotiations).toBe(0)
    }
  })

  it('media asked of node-datachannel: the link says so and stays data-only (M33)', async () => {
    const hub = createSignalHub()
    const media = { placeholder: () => null }
    const ann = spawnDataOnly(hub, 'ann', { media })
    const ben = spawnDataOnly(hub, 'ben')
    for (const m of [ann.mesh, ben.mesh]) m.setPeers(['ann', 'ben'])
    await waitFor(() => ann.mesh.connectedPeers().length === 1, 10_000, 'open')
    ann.mesh.sendTo('ben', 'still here')
    await waitFor(() => ben.got.length === 1, 5_000, 'data')
    // Once per link (a rare node-datachannel connect failure would add a rebuild and its error).
    const others = ann.errors.filter((e) => !/link failed/.test(e))
    expect(others[0]).toBe('NOT_CONFIGURED: no media lanes on this link')
    expect(new Set(others)).toEqual(new Set([others[0]]))
    expect(ann.mesh.stats('ben')!.renegotiations).toBe(0)
  })
})
