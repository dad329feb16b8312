import type { MediaLane } from '@kibitz/protocol'
import { browserPlaceholders } from '../browser-placeholders.js'
import { loopbackOnly } from '../candidates.js'
import { createMesh, type Mesh } from '../mesh.js'
import { joinBrokerSignaling, type PageBrokerSignaling } from './browser-broker.js'

/**
 * The page side of roam.browser.test.ts (bundled with @kibitz/test-utils' `bundleForBrowser`): a
 * mesh with media on Chromium's own WebRTC and browser placeholders, signaled through the real
 * broker (socket.io-client's global `io`), driven through `window.kibRoam`. Plain JSON out.
 */

export interface KibRoamPage {
  /** Join `room` through the broker at `url`; resolves to our id (the broker's socket id). */
  join(url: string, room: string): Promise<string>
  setPeers(ids: string[]): void
  /** Fake camera on `video`, fake microphone on `audio`; resolves to the camera's size. */
  camera(): Promise<{ width: number; height: number }>
  /** Inbound per lane from `peer` (mesh stats), and a `<video>` bound to its remote stream. */
  inbound(peer: string): Promise<{
    lanes: Partial<
      Record<MediaLane, { bytes: number; width: number | null; height: number | null }>
    >
    video: { width: number; height: number; frames: number }
  }>
  /** SDP messages sent and received through the broker; the mesh's renegotiation count. */
  sdp(peer: string): { sent: number; received: number; renegotiations: number }
  errors(): string[]
  stop(): Promise<void>
}

declare global {
  interface Window {
    kibRoam: KibRoamPage
  }
}

const placeholders = browserPlaceholders({ repaintMs: 100 })
let carrier: PageBrokerSignaling | null = null
let mesh: Mesh | null = null
let devices: MediaStream | null = null
const errors: string[] = []
const videos = new Map<string, { el: HTMLVideoElement; frames: number }>()

function need(): Mesh {
  if (!mesh) throw new Error('kibRoam: join first')
  return mesh
}

window.kibRoam = {
  async join(url, room) {
    carrier = await joinBrokerSignaling(url, room)
    mesh = createMesh({
      self: carrier.self,
      signaling: carrier.signaling,
      wrtc: { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate, MediaStream },
      iceServers: [],
      candidateFilter: loopbackOnly,
      media: { placeholder: placeholders.placeholder },
    })
    mesh.on('error', ({ peer, error }) => errors.push(`${peer}: ${error.code} ${error.message}`))
    return carrier.self
  },
  setPeers: (ids) => need().setPeers(ids),
  async camera() {
    devices = await navigator.mediaDevices.getUserMedia({ video: true, audio: true })
    const camera = devices.getVideoTracks()[0]!
    need().setTrack('video', camera)
    need().setTrack('audio', devices.getAudioTracks()[0]!)
    const { width = 0, height = 0 } = camera.getSettings()
    return { width, height }
  },
  async inbound(peer) {
    const stats = await need().sampleStats(peer)
    const lanes: Awaited<ReturnType<KibRoamPage['inbound']>>['lanes'] = {}
    for (const [lane, s] of Object.entries(stats?.connection?.media?.lanes ?? {})) {
      lanes[lane as MediaLane] = {
        bytes: s.bytesReceived,
        width: s.frameWidth,
        height: s.frameHeight,
      }
    }
    let entry = videos.get(peer)
    const stream = need().remoteStream(peer)
    if (!entry && stream) {
      const el = document.createElement('video')
      el.muted = true
      el.autoplay = true
      el.srcObject = stream
      document.body.append(el)
      const e = { el, frames: 0 }
      const onFrame = () => {
        e.frames++
        el.requestVideoFrameCallback(onFrame)
      }
      el.requestVideoFrameCallback(onFrame)
      videos.set(peer, e)
      entry = e
    }
    return {
      lanes,
      video: {
        width: entry?.el.videoWidth ?? 0,
        height: entry?.el.videoHeight ?? 0,
        frames: entry?.frames ?? 0,
      },
    }
  },
  sdp: (peer) => ({
    sent: carrier?.counts.sent.sdp ?? 0,
    received: carrier?.counts.received.sdp ?? 0,
    renegotiations: mesh?.stats(peer)?.renegotiations ?? -1,
  }),
  errors: () => [...errors, ...(carrier?.dropped ?? [])],
  async stop() {
    await mesh?.close()
    carrier?.close()
    placeholders.stop()
    devices?.getTracks().forEach((t) => t.stop())
    mesh = null
    carrier = null
  },
}
