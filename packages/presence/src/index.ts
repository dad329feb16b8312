// The only barrel of @kibitz/presence (the socket.io transport is the `./socket-io` subpath).
export { createRoom, DEFAULT_TIMING } from './room.js'
export type { Room } from './room.js'
export { realClock } from './clock.js'
export type { Clock, TimerHandle } from './clock.js'
export type { RoomTransport, RoomTransportEvents, RoomTransportListener } from './transport.js'
export type {
  AdmissionGate,
  GateCandidate,
  HostTier,
  KnockEntry,
  Participant,
  PresenceTiming,
  RoomEvents,
  RoomOptions,
  RoomPhase,
  RoomSnapshot,
} from './types.js'
