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
import type { WebRtcImplementation } from './peer-link.js'

export { loopbackOnly } from './candidates.js'

export interface NodeWrtcOptions {
  /**
   * Local address libjuice binds to. `'127.0.0.1'` for loopback tests: without it libjuice never
   * gathers a loopback candidate.
   */
  bindAddress?: string
}

/** simple-peer's default would be 5 s: node-datachannel never signals end-of-candidates. */
export const NODE_ICE_COMPLETE_TIMEOUT_MS = 250

/**
 * node-datachannel's polyfill, adapted for simple-peer: `createOffer`/`createAnswer` return plain
 * `{type, sdp}` objects (the polyfill's descriptions have a read-only `sdp`, which simple-peer
 * writes), and `bindAddress` is merged into every configuration.
 */
export function nodeWrtc(options: NodeWrtcOptions = {}): WebRtcImplementation {
  const { bindAddress } = options
  class NodePeerConnection extends PolyfillPeerConnection {
    constructor(config?: RTCConfiguration) {
      super({ ...config, ...(bindAddress ? { bindAddress } : {}) } as RTCConfiguration)
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
  return { RTCPeerConnection: NodePeerConnection, RTCSessionDescription, RTCIceCandidate }
}

/**
 * Tear down node-datachannel's native threads. Call once when the process is done with WebRTC
 * (after every mesh is closed), or it lingers; no peer connection works afterwards.
 */
export function nodeWrtcCleanup(): void {
  cleanup()
}
