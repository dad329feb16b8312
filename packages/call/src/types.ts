import type { AuditEntry, Grant } from '@kibitz/capabilities'
import type { CandidateFilter, MeshValue, WebRtcImplementation } from '@kibitz/mesh'
import type { HostTier, KnockEntry, PresenceTiming } from '@kibitz/presence'
import type { JsonValue, KibitzError, LobbyStatus } from '@kibitz/protocol'
import type { ChatLine } from './chat.js'
import type { KnockEntry as Knock } from '@kibitz/presence'
import type { MediaDevicesLike } from './local-media.js'
import type { AppSchemaEntry } from './schemas.js'

/** `createCall(options)`: the spec's mount options, minus the UI (SPEC K1). */
export interface CallOptions {
  /** The call everyone joins: same string → same call (normalized; invalid → ROOM_INVALID). */
  room: string
  /** Display name (≤ 64 chars). Default ''. */
  name?: string
  /** Emoji or short tag shown instead of initials. */
  avatar?: string
  /** Stable per-user / per-seat id: a reconnect is recognized as the same participant. Default: random. */
  identity?: string
  /** Opaque per-participant metadata carried in the roster (`role: 'agent'` makes an agent). */
  meta?: Record<string, unknown>
  /** Broker URL for signaling. Default: the page's own origin. Required outside a page. */
  signalHost?: string
  /** Origin of `/api/turn` (ICE servers). Default: `signalHost`. */
  turnHost?: string
  /** Premium bearer sent to `/api/turn`. */
  licenseKey?: string
  /** Signed room grant sent to `/api/turn` as `X-Kibitz-Grant` ("opener pays"). */
  grant?: string
  /** "Hide my IP": TURN relay only; fails closed when no TURN server is offered. */
  relayOnly?: boolean
  /** Room-creation settings (ride the link): who may moderate. Default: no host. */
  host?: HostTier
  /** UI hints kept for the widget (the controller itself renders nothing). */
  startOpen?: boolean
  headless?: boolean
  /** Self-view only: `join()` opens the local camera/mic and never dials a room. */
  preview?: boolean
  /**
   * WebRTC implementation. Default: the browser's globals. In Node pass `nodeWrtc()` from
   * `@kibitz/mesh/node` (data only) or `@roamhq/wrtc` with `media`.
   */
  wrtc?: WebRtcImplementation
  /** Media devices (default `navigator.mediaDevices`; none in Node: a data-only call). */
  mediaDevices?: MediaDevicesLike | null
  /**
   * Placeholder tracks for withheld or idle lanes. Default: canvas/Web Audio placeholders in
   * browsers; in Node media is off unless this is given (e.g. `roamPlaceholders(...)`).
   */
  placeholder?: ((kind: 'audio' | 'video') => MediaStreamTrack | null) | null
  /** Keep only these ICE candidates (tests: `loopbackOnly`). */
  candidateFilter?: CandidateFilter
  /** Presence timing (heartbeat, reap) — tests and special deployments. */
  timing?: Partial<PresenceTiming>
  /**
   * Pass-through mesh tuning (connect timeout, ICE gathering timeout…). `prewarm` (mesh M41):
   * keep an offer ready while no peer is known (a newcomer that will dial the authority builds it
   * as soon as the broker names both); on by default in a page, off with an injected `wrtc`.
   */
  meshOptions?: {
    connectTimeoutMs?: number
    iceCompleteTimeoutMs?: number
    dialAfterMs?: number
    prewarm?: boolean
  }
}

export type CallStatus =
  /** Not in a call (before `join`, after `leave`). */
  | 'idle'
  /** Self-view only (`preview: true`). */
  | 'preview'
  /** Dialing the broker, claiming or announcing. */
  | 'connecting'
  /** Waiting in the host's lobby (see `lobbyStatus`). */
  | 'waiting'
  /** On the roster. */
  | 'joined'
  /** Removed by the host, denied, or the room is locked (see `lobbyStatus`). */
  | 'refused'

/** `getState()` (SPEC K2). */
export interface CallState {
  status: CallStatus
  inCall: boolean
  micOn: boolean
  camOn: boolean
  sharing: boolean
  /** Our socket id while connected. */
  self: string | null
  isHost: boolean
  lobbyOn: boolean
  locked: boolean
  lobbyStatus: LobbyStatus | null
  /** The last failure of `join` (broker unreachable…), cleared by the next `join`. */
  error: KibitzError | null
}

/** One entry of `getParticipants()` (SPEC K3). */
export interface CallParticipant {
  id: string
  name: string
  avatar: string
  isSelf: boolean
  camOn: boolean
  micOn: boolean
  speaking: boolean
  /** Remote camera + mic (or our own preview); null without media. */
  stream: MediaStream | null
  /** Their screen-share lanes (video + audio): a placeholder while they do not share. */
  shareStream: MediaStream | null
  /**
   * Whether they are presenting now (the roster's `meta.presenting`, set by their controller
   * while a share runs): gate a stage on this, not on `shareStream` (its placeholder always flows).
   */
  sharing: boolean
  meta: Record<string, unknown>
  /** 'host' or 'guest' (the spec's role). */
  role: 'host' | 'guest'
  /** `meta.role === 'agent'`. */
  kind: 'human' | 'agent'
  verified: boolean
  /** Their data link is open (always true for ourselves). */
  connected: boolean
  /** Engine version and feature tags they advertised. */
  engine: { v: string; p: number; f: readonly string[] }
}

/** Events of `on(event, cb)` (SPEC K4). */
export interface CallEvents {
  participants: readonly CallParticipant[]
  join: CallParticipant
  leave: CallParticipant
  /** Ids speaking now. */
  speaking: readonly string[]
  state: CallState
  knocks: readonly KnockEntry[]
  lobby: LobbyStatus | null
  /** A new chat line from someone else. */
  chat: ChatLine
  /** A participant registered or changed an app schema. */
  schema: AppSchemaEntry
  /** Someone's effective grant changed (or ours). */
  grant: { id: string; grant: Grant }
  /** The host cleared the room. */
  reset: Record<string, never>
  /** Something failed or was dropped; the call keeps running. */
  error: { peer: string | null; error: KibitzError }
}

/** `getSnapshot()`: one immutable value for UI bindings; identity changes only on a change. */
export interface CallSnapshot {
  state: CallState
  participants: readonly CallParticipant[]
  knocks: readonly KnockEntry[]
  chat: readonly ChatLine[]
}

export type MessageListener = (data: MeshValue, from: string) => void

/** `registerSchema` input. */
export interface SchemaInput {
  name: string
  version: string
  schema: JsonValue
}

export type { AuditEntry, Grant }

/** The headless controller: the spec's `MountedWidget` minus the UI (SPEC K1–K12). */
export interface Call {
  /** The normalized room id. */
  readonly room: string
  getState(): CallState
  getParticipants(): readonly CallParticipant[]
  getSnapshot(): CallSnapshot
  subscribe(listener: () => void): () => void
  on<E extends keyof CallEvents>(event: E, cb: (payload: CallEvents[E]) => void): () => void
  /** Join (muted, camera off by default). Resolves once on the roster or waiting in the lobby. */
  join(options?: { mic?: boolean; cam?: boolean }): Promise<void>
  /** Leave the call; the controller stays usable (`join` again). */
  leave(): Promise<void>
  /** Leave and drop every listener. */
  destroy(): Promise<void>
  /** Resolve to the new state of the device. */
  toggleMic(): Promise<boolean>
  toggleCam(): Promise<boolean>
  shareScreen(): Promise<void>
  shareTrack(track: MediaStreamTrack): void
  stopShare(): void
  setName(name: string): void
  setAvatar(avatar: string): void
  setMeta(meta: Record<string, unknown>): void
  /** JSON or binary to everyone else who may perceive it; false when nobody got it. */
  broadcast(data: unknown): boolean
  /** To one participant, directly; false when their grant withholds it. NO_SUCH_PEER otherwise. */
  sendTo(id: string, data: unknown): boolean
  onMessage(cb: MessageListener): () => void
  sendChat(text: string, to?: string): ChatLine
  getChat(): readonly ChatLine[]
  getKnocks(): readonly Knock[]
  setLobby(on: boolean): boolean
  admit(id: string): boolean
  deny(id: string): boolean
  remove(id: string): boolean
  setLocked(on: boolean): boolean
  resetRoom(): boolean
  /** Joiner side of a gated room: introduce yourself (joins if not yet joined). */
  knock(name: string, avatar?: string): void
  getCapabilityGrant(id: string): Grant | null
  setCapabilityGrant(id: string, grant: Grant | null): boolean
  /** The local audit feed (blocked acts, grant changes), for one participant or everyone. */
  getAgentAudit(id?: string): readonly AuditEntry[]
  registerSchema(schema: SchemaInput): void
  getSchemas(): readonly AppSchemaEntry[]
  onSchema(cb: (entry: AppSchemaEntry) => void): () => void
  /** Ids whose data link is open (tests, diagnostics). */
  connectedPeers(): string[]
}
