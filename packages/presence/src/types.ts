import type { Clock, GrantMap, LobbyStatus, RosterMember, SignalMessage } from '@kibitz/protocol'
import type { RoomTransport } from './transport.js'

/** Someone on the roster, as the app sees them. */
export interface Participant {
  /** Broker socket id: what the mesh dials and what frames are attributed to. */
  id: string
  name: string
  /** Emoji or short tag; '' means initials. */
  avatar: string
  cam: boolean
  mic: boolean
  /** `meta.role` when it is a string (e.g. `agent`). */
  role: string | undefined
  meta: Record<string, unknown>
  engine: RosterMember['engine']
  isSelf: boolean
  /** The room's host (moderation rights), not to be confused with the authority. */
  isHost: boolean
  /** The peer that currently coordinates presence. */
  isAuthority: boolean
  verified: boolean
}

/** Who may moderate, committed when the room is created (it rides the link). */
export type HostTier =
  /** Open room: no host, every moderation command is dropped. */
  | { kind: 'none' }
  /**
   * Host by name (soft, spoofable): the first participant announcing under `name`
   * (case-insensitive) becomes host; `lobby: true` starts the room with the lobby on.
   */
  | { kind: 'name'; name: string; lobby?: boolean }

/** What the admission gate sees about a candidate before rostering. */
export interface GateCandidate {
  id: string
  name: string
  identity: string
  meta: Record<string, unknown>
  jwt?: string
  credential?: string
  assertion?: string
}

/**
 * Runs on the authority before a newcomer is rostered. `admit` rosters; `refuse` answers
 * `lobby: unverified`. A throw or a timeout means "hold": not rostered, retried on the next
 * announce. Fails closed.
 */
export type AdmissionGate = (candidate: GateCandidate) => Promise<'admit' | 'refuse'>

export interface PresenceTiming {
  /** Heartbeat period, both directions. Default 2,500 ms. */
  pingMs: number
  /** Silence after which the authority reaps a member, or a member gives up on its authority. Default 12,000 ms. */
  reapMs: number
  /** A gap between ticks longer than this means our own process slept: don't reap on wake. Default 6,000 ms. */
  freezeGuardMs: number
  /** Gate verification timeout ("hold" after it). Default 10,000 ms. */
  gateTimeoutMs: number
}

/** What the engine hands a transport to send inside its connection handshake (broker B22). */
export interface RoomHandshake {
  /** Our first announce, sealed for the room; null when it should not go early. */
  announce(): Promise<Uint8Array | null>
}

export interface RoomOptions {
  /** The room id from the link (normalized; it derives the tag and the key). */
  room: string
  /**
   * Opens the transport for the room's tag (`connectBroker(url, tag)`, or `bus.connect(tag)`).
   * `handshake.announce` is for a transport that can carry the first announce in its connection
   * handshake (`connectBroker(url, tag, { handshake: { claim: true, announce } })`, broker B22).
   */
  connect: (tag: string, handshake: RoomHandshake) => RoomTransport
  name: string
  avatar?: string
  /** Stable identity: a reconnect with the same identity is the same participant. Default: random. */
  identity?: string
  meta?: Record<string, unknown>
  cam?: boolean
  mic?: boolean
  host?: HostTier
  gate?: AdmissionGate
  timing?: Partial<PresenceTiming>
  clock?: Clock
  /** Random source in [0, 1) for jitter. */
  random?: () => number
}

/** A knock in the host's queue. */
export interface KnockEntry {
  id: string
  name: string
  avatar: string
}

export type RoomPhase = 'connecting' | 'joined' | 'left' | 'removed'

/** Immutable snapshot for UI bindings (`subscribe` / `getSnapshot`). */
export interface RoomSnapshot {
  phase: RoomPhase
  self: string | null
  authority: string | null
  isAuthority: boolean
  /** Socket id of the host, or null. */
  host: string | null
  isHost: boolean
  participants: readonly Participant[]
  /** The host's knock queue (visible to the authority and the host). */
  knocks: readonly KnockEntry[]
  /** Our own lobby status: null when admitted without a lobby. */
  lobby: LobbyStatus | null
  lobbyOn: boolean
  locked: boolean
  /** Identity hashes the room has removed (see `identityHash`); host tools show the count. */
  bans: readonly string[]
  /**
   * The host's explicit capability grants by socket id, as the authority distributes them (wire
   * form: `@kibitz/capabilities` sanitizes and resolves them). Absent ids hold their kind default.
   */
  grants: Readonly<GrantMap>
  epoch: number
}

export interface RoomEvents {
  participants: readonly Participant[]
  join: Participant
  leave: Participant
  knocks: readonly KnockEntry[]
  lobby: LobbyStatus | null
  authority: { id: string | null; self: boolean }
  /** The host cleared the room (chat, annotations). */
  reset: Record<string, never>
  /** Mesh signaling from another rostered participant (R21). */
  signal: { from: string; message: SignalMessage }
  /** A frame could not be opened or decoded, or came from an unrostered peer (diagnostics). */
  dropped: { from: string; code: string }
}
