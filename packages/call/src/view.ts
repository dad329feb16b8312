import { isAgent } from '@kibitz/capabilities'
import type { Participant, RoomSnapshot } from '@kibitz/presence'
import type { KibitzError, LobbyStatus } from '@kibitz/protocol'
import type { CallParticipant, CallSnapshot, CallState, CallStatus } from './types.js'
import type { ChatLine } from './chat.js'

/** Lobby outcomes that keep us out of the room. */
const REFUSED: ReadonlySet<LobbyStatus> = new Set(['denied', 'locked', 'unverified', 'removed'])

/** What the view needs from the running call, read at refresh time. */
export interface ViewInputs {
  room: RoomSnapshot | null
  preview: boolean
  media: { micOn: boolean; camOn: boolean; sharing: boolean; preview: MediaStream | null }
  connected: ReadonlySet<string>
  speaking: ReadonlySet<string>
  /** Remote camera+mic and share streams of a peer (null without media). */
  streams(id: string): { stream: MediaStream | null; share: MediaStream | null }
  /** May this peer publish media (`speak`)? A peer that may not is shown without a stream. */
  maySpeak(id: string): boolean
  chat: readonly ChatLine[]
  error: KibitzError | null
}

export function statusOf(room: RoomSnapshot | null, preview: boolean): CallStatus {
  if (!room) return preview ? 'preview' : 'idle'
  if (room.phase === 'removed' || (room.lobby !== null && REFUSED.has(room.lobby))) return 'refused'
  if (room.phase === 'left') return 'idle'
  if (room.lobby === 'waiting') return 'waiting'
  const onRoster = room.self !== null && room.participants.some((p) => p.id === room.self)
  return room.phase === 'joined' && onRoster ? 'joined' : 'connecting'
}

/** The roster meta key a sharer carries (ms since its share started): "newest presenter wins". */
export const PRESENTING = 'presenting'

function participantOf(p: Participant, v: ViewInputs): CallParticipant {
  const streams = p.isSelf
    ? { stream: v.media.preview, share: null }
    : v.maySpeak(p.id)
      ? v.streams(p.id)
      : { stream: null, share: null }
  return {
    id: p.id,
    name: p.name,
    avatar: p.avatar,
    isSelf: p.isSelf,
    camOn: p.isSelf ? v.media.camOn : p.cam,
    micOn: p.isSelf ? v.media.micOn : p.mic,
    speaking: v.speaking.has(p.id),
    stream: streams.stream,
    shareStream: streams.share,
    sharing: p.isSelf ? v.media.sharing : typeof p.meta[PRESENTING] === 'number',
    meta: p.meta,
    role: p.isHost ? 'host' : 'guest',
    kind: isAgent(p.meta) ? 'agent' : 'human',
    verified: p.verified,
    connected: p.isSelf || v.connected.has(p.id),
    engine: p.engine,
  }
}

export function buildSnapshot(v: ViewInputs): CallSnapshot {
  const room = v.room
  const status = statusOf(room, v.preview)
  const state: CallState = {
    status,
    inCall: status === 'joined',
    micOn: v.media.micOn,
    camOn: v.media.camOn,
    sharing: v.media.sharing,
    self: room?.self ?? null,
    isHost: room?.isHost ?? false,
    lobbyOn: room?.lobbyOn ?? false,
    locked: room?.locked ?? false,
    lobbyStatus: room?.lobby ?? null,
    error: v.error,
  }
  const participants = status === 'joined' ? room!.participants.map((p) => participantOf(p, v)) : []
  return {
    state,
    participants,
    knocks: room?.knocks ?? [],
    chat: v.chat,
  }
}

/** A comparable key: streams by their track ids, errors by code, everything else by value. */
export function snapshotKey(s: CallSnapshot): string {
  return jsonKey(s)
}

export function jsonKey(value: unknown): string {
  return JSON.stringify(value, (key, value: unknown) => {
    if ((key === 'stream' || key === 'shareStream') && value) {
      return (value as MediaStream).getTracks().map((t) => t.id)
    }
    if (key === 'error' && value) return (value as KibitzError).code
    return value
  })
}
