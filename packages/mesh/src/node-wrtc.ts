/**
 * `@kibitz/mesh/node`: node-datachannel as the mesh's WebRTC implementation, for data-only Node
 * peers (agents, tests). Media needs `@roamhq/wrtc` instead (TESTING.md).
 */
import { cleanup } from 'node-datachannel'
import {
  RTCIceCandidate,
  RTCPeerConnection as PolyfillPeerConnection,
  RTCSessionDescription,
} from 'node-datachannel/polyfill'
import {
  encodeTurnCredentials,
  nativePeerLinkFactory,
  releaseRetiredNativeLinks,
} from './native-link.js'
import type { WebRtcImplementation } from './peer-link.js'

export { loopbackOnly } from './candidates.js'
export { HANDSHAKE_FAILED } from './link-core.js'
export {
  createNativePeerLink,
  nativeIceServers,
  nativePeerLinkFactory,
  type NativePeerLinkOptions,
} from './native-link.js'

export interface NodeWrtcOptions {
  /**
   * Local address libjuice binds to. `'127.0.0.1'` for loopback tests: without it libjuice never
   * gathers a loopback candidate.
   */
  bindAddress?: string
}

/**
 * For simple-peer links only (`simplePeerLinkFactory` from `@kibitz/mesh/simple-peer`): its
 * end-of-candidates fallback would be 5 s, and node-datachannel never signals end-of-candidates.
 * The default link needs no such timer.
 */
export const NODE_ICE_COMPLETE_TIMEOUT_MS = 250

/** The polyfill reports libdatachannel's RTT in ms (-1: unknown); the standard says seconds. */
function normaliseStats(report: unknown): unknown {
  const r = report as Map<string, Record<string, unknown>> | null
  if (!r || typeof r.forEach !== 'function') return report
  r.forEach((s) => {
    if (s.type !== 'candidate-pair') return
    for (const key of ['currentRoundTripTime', 'totalRoundTripTime']) {
      const v = s[key]
      if (typeof v === 'number') s[key] = v >= 0 ? v / 1000 : undefined
    }
  })
  return report
}

/**
 * node-datachannel's polyfill, adapted: `createOffer`/`createAnswer` return plain `{type, sdp}`
 * objects (the polyfill's descriptions have a read-only `sdp`, which simple-peer writes),
 * `bindAddress` is merged into every configuration, TURN credentials are percent-encoded, and
 * `getStats` reports RTT in seconds like every other implementation. Works with the default link
 * and with `@kibitz/mesh/simple-peer`.
 */
export function nodeWrtc(options: NodeWrtcOptions = {}): WebRtcImplementation {
  const { bindAddress } = options
  class NodePeerConnection extends PolyfillPeerConnection {
    constructor(config?: RTCConfiguration) {
      const iceServers = encodeTurnCredentials(config?.iceServers)
      super({
        ...config,
        ...(iceServers ? { iceServers } : {}),
        ...(bindAddress ? { bindAddress } : {}),
      } as RTCConfiguration)
    }
    override async getStats(): Promise<RTCStatsReport> {
      return normaliseStats(await super.getStats()) as RTCStatsReport
    }
    override async createOffer(): Promise<RTCSessionDescriptionInit> {
      const d = (await super.createOffer()) as RTCSessionDescriptionInit
      return { type: d.type, sdp: d.sdp ?? '' }
    }
    override async createAnswer(): Promise<RTCSessionDescriptionInit> {
      const d = (await super.createAnswer()) as RTCSessionDescriptionInit
      return { type: d.type, sdp: d.sdp ?? '' }
    }
  }
  const wrtc: WebRtcImplementation = {
    RTCPeerConnection: NodePeerConnection,
    RTCSessionDescription,
    RTCIceCandidate,
    // M43: the native link is Node's default (decisions.md); the polyfill stays for
    // `@kibitz/mesh/simple-peer` and for callers that pass `rtcPeerLinkFactory` themselves.
    defaultLink: ({ candidateFilter }) =>
      nativePeerLinkFactory({
        ...(bindAddress ? { bindAddress } : {}),
        ...(candidateFilter ? { candidateFilter } : {}),
      }),
  }
  return wrtc
}

/**
 * Tear down node-datachannel's native threads. Call once when the process is done with WebRTC
 * (after every mesh is closed), or it lingers; no peer connection works afterwards.
 */
export function nodeWrtcCleanup(): void {
  cleanup()
  releaseRetiredNativeLinks()
}
