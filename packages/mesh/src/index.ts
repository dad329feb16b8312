// The only barrel of @kibitz/mesh: named exports only (STYLE.md), `export type` for types.
// The node-datachannel adapter lives at `@kibitz/mesh/node`, roam placeholders at `@kibitz/mesh/roam`,
// the simple-peer link at `@kibitz/mesh/simple-peer` (never imported from here: bundle size, M39).

export { createMesh } from './mesh.js'
export type { Mesh, MeshOptions } from './mesh-options.js'
export type { MeshEvents, CloseReason } from './events.js'
export type { MeshMediaOptions, Placeholders } from './media-lanes.js'
export { browserPlaceholders } from './browser-placeholders.js'
export type { BrowserPlaceholderOptions } from './browser-placeholders.js'
export { LANE_KIND } from './link-media.js'
export { MEDIA_LANES } from '@kibitz/protocol'
export type { MediaLane } from '@kibitz/protocol'
export type { MeshSignaling } from './signaling.js'
export type { MeshData, MeshValue } from './payload.js'
export type { PeerStats } from './peer-state.js'
export { fetchIceServers, hasTurnServer, parseIceResponse, MAX_ICE_RESPONSE_BYTES } from './ice.js'
export type { FetchIceOptions, IceConfig, IceTier } from './ice.js'
export { readLinkStats } from './link-stats.js'
export type {
  LaneStats,
  LaneTracks,
  LinkMedia,
  LinkSignal,
  LinkStats,
  MediaStats,
  RtpCounters,
  PeerLink,
  PeerLinkEvents,
  PeerLinkFactory,
  PeerLinkOptions,
  WebRtcImplementation,
} from './peer-link.js'
export { DATA_CHANNEL_LABEL } from './peer-link.js'
export { createRtcPeerLink, rtcPeerLinkFactory } from './rtc-peer-link.js'
export { offerAsDtlsClient } from './dtls-role.js'
export type { RtcPeerLinkOptions } from './rtc-peer-link.js'
export {
  candidateAddress,
  candidateType,
  filterSdpCandidates,
  loopbackOnly,
  relayOnlyCandidates,
} from './candidates.js'
export type { CandidateFilter } from './candidates.js'
export { FRAME_BYTES, FrameType, FramedMessage, OutgoingMessage, parseFrame } from './framing.js'
export type { Frame, PayloadKind } from './framing.js'
export { Reassembler, DEFAULT_REASSEMBLY_LIMITS } from './reassembly.js'
export type { ReassemblyLimits, Assembled } from './reassembly.js'
export { SendQueue, DEFAULT_BACKPRESSURE } from './sender.js'
export type { BackpressureOptions } from './sender.js'
export { realClock } from '@kibitz/protocol'
export type { Clock, TimerHandle } from '@kibitz/protocol'
