import { MEDIA_LANES, type SdpMessage } from '@kibitz/protocol'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { loopbackOnly } from './candidates.js'
import type { LinkSignal } from './peer-link.js'
import { createRtcPeerLink } from './rtc-peer-link.js'
import { createSignalHub } from './testing/hub.js'
import {
  closeMediaNodes,
  connected,
  lanesLive,
  spawnMediaNode,
  type MediaNode,
} from './testing/media-mesh.js'
import {
  roam,
  toneSource,
  videoSource,
  watchAudio,
  watchVideo,
  type VideoWatch,
} from './testing/roam.js'
import { waitFor } from './testing/wait.js'

// Real WebRTC with media (@roamhq/wrtc) on 127.0.0.1, signaling through an in-memory hub.
const stops: (() => void)[] = []
const keep = <T extends { stop(): void }>(x: T): T => (stops.push(() => x.stop()), x)
afterEach(() => {
  for (const stop of stops.splice(0)) stop()
})
afterAll(closeMediaNodes)

const sdpOf = (hub: ReturnType<typeof createSignalHub>) =>
  hub.log.filter((e) => e.message.t === 'sdp').map((e) => e.message as SdpMessage)

/** Wait until `watch` decoded `n` frames since its last reset, all of size `size`. */
async function frames(watch: VideoWatch, size: string, what: string, n = 3): Promise<void> {
  await waitFor(() => watch.sizes.length >= n, 5_000, what)
  expect(new Set(watch.sizes), what).toEqual(new Set([size]))
}

/** Reset, then wait for `n` frames of the new size (frames in flight at the swap are skipped). */
async function switchesTo(watch: VideoWatch, size: string, what: string): Promise<void> {
  await waitFor(() => watch.sizes.includes(size), 5_000, what)
  watch.reset()
  await frames(watch, size, what)
}

async function pair(): Promise<{
  hub: ReturnType<typeof createSignalHub>
  a: MediaNode
  b: MediaNode
}> {
  const hub = createSignalHub()
  const a = spawnMediaNode(hub, 'alice')
  const b = spawnMediaNode(hub, 'bob')
  a.mesh.setPeers(['alice', 'bob'])
  b.mesh.setPeers(['alice', 'bob'])
  await connected([a, b])
  await lanesLive(a, 'bob')
  await lanesLive(b, 'alice')
  return { hub, a, b }
}

describe('media lanes (roam)', () => {
  it('every link negotiates four sendrecv lanes up front; placeholders flow both ways (M33, M34)', async () => {
    const { hub, a, b } = await pair()
    // One offer with two audio and two video sections (even with no camera), one answer that
    // sends on all four: nothing left to renegotiate.
    const [offer, answer, ...more] = sdpOf(hub)
    expect(more).toEqual([])
    expect(offer!.description.type).toBe('offer')
    const kinds = offer!.description.sdp.match(/^m=\w+/gm)
    expect(kinds).toEqual(['m=audio', 'm=video', 'm=video', 'm=audio', 'm=application'])
    expect(answer!.description.type).toBe('answer')
    expect(answer!.description.sdp.match(/^a=sendrecv/gm)).toHaveLength(4)
    // One `track` event per lane per side.
    for (const n of [a, b])
      expect(n.tracks.map((t) => t.lane).sort()).toEqual([...MEDIA_LANES].sort())

    // 2×2 black placeholders decode on both video lanes, silence plays on both audio lanes.
    for (const [n, peer] of [
      [a, 'bob'],
      [b, 'alice'],
    ] as const) {
      const lanes = n.mesh.remoteTracks(peer)!
      const video = keep(watchVideo(lanes.video!))
      const share = keep(watchVideo(lanes.share!))
      const mic = keep(watchAudio(lanes.audio!))
      const shareAudio = keep(watchAudio(lanes.shareAudio!))
      await frames(video, '2x2', `${n.id}: video placeholder`)
      await frames(share, '2x2', `${n.id}: share placeholder`)
      await waitFor(() => mic.chunks > 10 && shareAudio.chunks > 10, 5_000, 'silent audio')
      expect(mic.peak).toBeLessThan(500)
      // remoteStream: the camera and microphone lanes, for a <video> element.
      const stream = n.mesh.remoteStream(peer)!
      expect(
        stream
          .getTracks()
          .map((t) => t.id)
          .sort(),
      ).toEqual([lanes.audio!.id, lanes.video!.id].sort())
    }

    // Stats: media counters per lane, no renegotiation (M37).
    const stats = (await a.mesh.sampleStats('bob'))!
    expect(stats.renegotiations).toBe(0)
    expect(stats.iceTransportPolicy).toBe('all')
    const media = stats.connection!.media!
    expect(media.bytesReceived).toBeGreaterThan(0)
    expect(Object.keys(media.lanes).sort()).toEqual([...MEDIA_LANES].sort())
    expect(media.lanes.video).toMatchObject({ frameWidth: 2, frameHeight: 2 })
    expect(media.lanes.audio!.packetsReceived).toBeGreaterThan(0)
    expect(stats.connection!.loss).toBeGreaterThanOrEqual(0)
    expect(a.errors).toEqual([])
    expect(b.errors).toEqual([])
  })

  it('camera and mic toggles are replaceTrack swaps: no SDP after the first offer/answer (M34)', async () => {
    const { hub, a, b } = await pair()
    const sdpBefore = hub.counts.get('sdp')
    const onB = b.mesh.remoteTracks('alice')!
    const cam = keep(watchVideo(onB.video!))
    const share = keep(watchVideo(onB.share!))
    const mic = keep(watchAudio(onB.audio!))
    const camera = keep(videoSource(320, 240))
    const screen = keep(videoSource(640, 360))
    const tone = keep(toneSource())

    a.mesh.setTrack('video', camera.track)
    await switchesTo(cam, '320x240', 'camera on')
    a.mesh.setTrack('share', screen.track)
    await switchesTo(share, '640x360', 'share on')
    a.mesh.setTrack('video', null)
    await switchesTo(cam, '2x2', 'camera off: back to the placeholder')
    a.mesh.setTrack('audio', tone.track)
    await waitFor(() => mic.peak > 5_000, 5_000, 'mic on: the tone plays')
    a.mesh.setTrack('audio', null)
    await new Promise((r) => setTimeout(r, 300)) // let in-flight tone packets play out
    mic.reset()
    await waitFor(() => mic.chunks > 20, 5_000, 'mic off: audio keeps flowing')
    expect(mic.peak).toBeLessThan(500) // …as the silent placeholder

    expect(hub.counts.get('sdp')).toBe(sdpBefore)
    for (const [n, peer] of [
      [a, 'bob'],
      [b, 'alice'],
    ] as const) {
      const stats = n.mesh.stats(peer)!
      expect(stats.renegotiations).toBe(0)
      expect(stats.generation).toBe(a.mesh.stats('bob')!.generation)
    }
    expect(a.links).toHaveLength(1)
    expect([...a.errors, ...b.errors]).toEqual([])
  })

  it('a gated peer gets the placeholder while others get the camera; lifting the gate releases it (M35)', async () => {
    const hub = createSignalHub()
    const a = spawnMediaNode(hub, 'alice')
    const b = spawnMediaNode(hub, 'bob')
    const c = spawnMediaNode(hub, 'carol')
    const camera = keep(videoSource(320, 240))
    // The gate and the camera are both set before any link exists: bob must never see a frame
    // of the camera, not even the first one.
    a.mesh.setGate('bob', ['video'])
    a.mesh.setTrack('video', camera.track)
    // Sample every frame bob decodes from alice's camera lane, from the moment it is live.
    let bobSaw: string[] = []
    b.mesh.on('track', ({ peer, lane, track }) => {
      if (peer === 'alice' && lane === 'video') bobSaw = keep(watchVideo(track)).sizes
    })
    const ids = ['alice', 'bob', 'carol']
    for (const n of [a, b, c]) n.mesh.setPeers(ids)
    await connected([a, b, c])
    await lanesLive(b, 'alice')
    await lanesLive(c, 'alice')
    const atCarol = keep(watchVideo(c.mesh.remoteTracks('alice')!.video!))
    await frames(atCarol, '320x240', 'carol sees the camera', 5)
    await waitFor(() => bobSaw.length >= 5, 5_000, 'bob decodes frames')
    expect(new Set(bobSaw)).toEqual(new Set(['2x2']))
    expect(a.mesh.stats('bob')!.renegotiations).toBe(0)

    // Lift the gate: bob gets the camera on the same link.
    const sdpBefore = hub.counts.get('sdp')
    a.mesh.setGate('bob', [])
    await waitFor(() => bobSaw.includes('320x240'), 5_000, 'bob sees the camera')
    // Gate again, on a live link: back to the placeholder.
    a.mesh.setGate('bob', ['video', 'share'])
    await waitFor(() => bobSaw.at(-1) === '2x2', 5_000, 'bob is back on the placeholder')
    expect(hub.counts.get('sdp')).toBe(sdpBefore)
    expect(a.mesh.stats('bob')!.renegotiations).toBe(0)
    expect([...a.errors, ...b.errors, ...c.errors]).toEqual([])
  })

  it('without a placeholder the gate fails closed: the gated peer receives nothing on that lane (M35)', async () => {
    const hub = createSignalHub()
    // No placeholder can be made; media health is off (alice sends bob nothing at all).
    const opts = { placeholder: () => null, mediaStallMs: 0 }
    const a = spawnMediaNode(hub, 'alice', opts)
    const b = spawnMediaNode(hub, 'bob', opts)
    const c = spawnMediaNode(hub, 'carol', opts)
    const camera = keep(videoSource(320, 240))
    a.mesh.setGate('bob', ['video'])
    a.mesh.setTrack('video', camera.track)
    const ids = ['alice', 'bob', 'carol']
    for (const n of [a, b, c]) n.mesh.setPeers(ids)
    await connected([a, b, c])
    await lanesLive(b, 'alice')
    await lanesLive(c, 'alice')
    const atBob = keep(watchVideo(b.mesh.remoteTracks('alice')!.video!))
    const atCarol = keep(watchVideo(c.mesh.remoteTracks('alice')!.video!))
    await frames(atCarol, '320x240', 'carol sees the camera', 10)
    expect(atBob.sizes).toEqual([])
    const bobStats = (await b.mesh.sampleStats('alice'))!
    expect(bobStats.connection?.media?.lanes.video?.bytesReceived ?? 0).toBe(0)
    // Ungating sends the real track; gating again sends nothing (never the camera).
    a.mesh.setGate('bob', [])
    await frames(atBob, '320x240', 'bob sees the camera once allowed')
    a.mesh.setGate('bob', ['video'])
    await new Promise((r) => setTimeout(r, 300))
    atBob.reset()
    await new Promise((r) => setTimeout(r, 500))
    expect(atBob.sizes).toEqual([])
  })

  it('setTrack and setGate check their input; a data-only mesh has no media (M33)', async () => {
    const hub = createSignalHub()
    const a = spawnMediaNode(hub, 'alice')
    const tone = keep(toneSource())
    expect(() => a.mesh.setTrack('camera' as never, null)).toThrow(/no media lane/)
    expect(() => a.mesh.setTrack('video', tone.track)).toThrow(/takes a video track/)
    expect(() => a.mesh.setGate('bob', ['mic' as never])).toThrow(/media lanes/)
    expect(a.mesh.remoteTracks('bob')).toBeNull() // not in the set
    const d = spawnMediaNode(hub, 'dora', { media: undefined })
    expect(d.mesh.media).toBe(false)
    expect(() => d.mesh.setTrack('video', null)).toThrow(
      expect.objectContaining({ code: 'NOT_CONFIGURED' }),
    )
  })
})

describe('an answering link (roam)', () => {
  it('sends its answer before it swaps in its tracks, reports remote tracks or adds early candidates', async () => {
    const log: string[] = []
    // roam's prototypes are frozen: the lanes' senders are seen through proxies that log swaps.
    const bound = (target: object, key: string | symbol): unknown => {
      const value: unknown = Reflect.get(target, key)
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value
    }
    const loggedSender = (sender: RTCRtpSender) =>
      new Proxy(sender, {
        get: (target, key) =>
          key === 'replaceTrack'
            ? (track: MediaStreamTrack | null) => {
                log.push('replaceTrack')
                return target.replaceTrack(track)
              }
            : bound(target, key),
      })
    const Base = roam.RTCPeerConnection as typeof RTCPeerConnection
    class Spy extends Base {
      override addIceCandidate(candidate?: RTCIceCandidateInit | null): Promise<void> {
        log.push('addIceCandidate')
        return super.addIceCandidate(candidate ?? undefined)
      }
      override getTransceivers(): RTCRtpTransceiver[] {
        return super.getTransceivers().map(
          (t) =>
            new Proxy(t, {
              get: (target, key) =>
                key === 'sender' ? loggedSender(target.sender) : bound(target, key),
              set: (target, key, value) => Reflect.set(target, key, value),
            }),
        )
      }
    }
    const tracks = (video: MediaStreamTrack) => ({
      audio: null,
      video,
      share: null,
      shareAudio: null,
    })
    const make = (initiator: boolean, wrtc: typeof roam) =>
      createRtcPeerLink(
        {
          initiator,
          iceServers: [],
          iceTransportPolicy: 'all',
          media: { tracks: tracks(keep(videoSource(64, 48)).track) },
        },
        { wrtc, candidateFilter: loopbackOnly },
      )
    const offerer = make(true, roam)
    const answerer = make(false, { ...roam, RTCPeerConnection: Spy })
    stops.push(
      () => offerer.destroy(),
      () => answerer.destroy(),
    )
    answerer.on('signal', ({ signal }) => {
      if (signal.kind === 'sdp') log.push(signal.description.type)
      offerer.signal(signal)
    })
    answerer.on('track', () => log.push('track'))
    // The offerer's candidates reach the answerer ahead of its offer: they wait for it.
    const held: LinkSignal[] = []
    let offered = false
    offerer.on('signal', ({ signal }) => {
      if (offered) return answerer.signal(signal)
      held.push(signal)
      if (!held.some((s) => s.kind === 'sdp') || !held.some((s) => s.kind === 'ice')) return
      offered = true
      for (const s of held.filter((h) => h.kind === 'ice')) answerer.signal(s)
      answerer.signal(held.find((h) => h.kind === 'sdp')!)
    })
    await waitFor(() => answerer.connected && offerer.connected, 10_000, 'link open')
    await waitFor(() => log.includes('replaceTrack') && log.includes('track'), 5_000, 'tracks')
    const answer = log.indexOf('answer')
    expect(answer).toBeGreaterThanOrEqual(0)
    for (const step of ['replaceTrack', 'track', 'addIceCandidate']) {
      expect(log.indexOf(step), `${step} in ${log.join(' ')}`).toBeGreaterThan(answer)
    }
  })
})
