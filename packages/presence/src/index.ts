// The only barrel of @kibitz/presence (the socket.io transport is the `./socket-io` subpath).
export { createRoom, DEFAULT_TIMING, SIGNAL_HOLD } from './room.js'
export type { Room } from './room.js'
export { realClock } from '@kibitz/protocol'
export type { Clock, TimerHandle } from '@kibitz/protocol'
export type {
  JoinAnswer,
  RoomTransport,
  RoomTransportEvents,
  RoomTransportListener,
} from './transport.js'
export type {
  AdmissionGate,
  GateCandidate,
  HostTier,
  KnockEntry,
  Participant,
  PresenceTiming,
  RoomEvents,
  RoomHandshake,
  RoomOptions,
  RoomPhase,
  RoomSnapshot,
} from './types.js'
export { createLocalBus } from './local-bus.js'
export type { LocalBus, LocalBusOptions, LocalBusStats } from './local-bus.js'
export { createManualClock, createFreezableClock } from './testing/clock.js'
export type { ManualClock, FreezableClock } from './testing/clock.js'
export { createSeededRandom, randomInt } from './testing/random.js'
export type { Random } from './testing/random.js'
export { testTag } from './testing/tag.js'
