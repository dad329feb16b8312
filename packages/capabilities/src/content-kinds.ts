import { AGENT_KEY, MEDIA_LANES, type ContentMessage, type MediaLane } from '@kibitz/protocol'
import { readOwn } from './read.js'
import type { Act, Perceive } from './vocabulary.js'

/**
 * Which capability each kind of content needs (SPEC C17–C19). Perceive is checked by the sender
 * (never send content to a peer that may not perceive it; a gated media lane gets the placeholder);
 * act is checked by every receiver (drop content from a peer that may not emit it, and audit it).
 * `null` means "not gated": control messages every participant needs for the room to work.
 */

// Media lanes (microphone, camera, screen share, share audio) are defined once, by the protocol.
export { MEDIA_LANES }
export type { MediaLane }

const PERCEIVE_BY_KIND: ReadonlyMap<string, Perceive | null> = new Map<string, Perceive | null>([
  // Room data: chat lines, pay links, app self-description, chunked transfers (text/image/file).
  ['chat', 'read-chat'],
  ['pay', 'read-chat'],
  ['schema', 'read-chat'],
  ['xbegin', 'read-chat'],
  ['xchunk', 'read-chat'],
  ['xend', 'read-chat'],
  ['xcancel', 'read-chat'],
  // Broadcast app data (agent views, co-browse state); `directed` app data is receive-directed.
  ['app', 'read-chat'],
  // Annotation strokes live on the shared screen and reveal what is pointed at on it.
  ['ink', 'see-screen'],
  // A verified identity token is roster information.
  ['idtoken', 'read-roster'],
  // The grant map itself: everyone must learn it, agents included, to enforce it uniformly.
  ['caps', null],
  // Media lanes: any picture is `see-screen`, any sound `hear-audio` ("no media" for agents).
  ['audio', 'hear-audio'],
  ['shareAudio', 'hear-audio'],
  ['video', 'see-screen'],
  ['share', 'see-screen'],
])

const ACT_BY_KIND: ReadonlyMap<string, Act | null> = new Map<string, Act | null>([
  // Every content emission is gated by send-chat (chat, app data, ink, pay links, schemas, transfers).
  ['chat', 'send-chat'],
  ['app', 'send-chat'],
  ['ink', 'send-chat'],
  ['pay', 'send-chat'],
  ['schema', 'send-chat'],
  ['xbegin', 'send-chat'],
  ['xchunk', 'send-chat'],
  ['xend', 'send-chat'],
  ['xcancel', 'send-chat'],
  // Proving who you are and publishing the grant map are not acts: admission and the host check
  // govern them.
  ['idtoken', null],
  ['caps', null],
  // Publishing any media lane is `speak`.
  ['audio', 'speak'],
  ['shareAudio', 'speak'],
  ['video', 'speak'],
  ['share', 'speak'],
])

/**
 * The perceive capability a receiver needs for content `kind` (a content `k` or a MediaLane).
 * `directed` (sent to one peer with `sendTo`) turns `app` data into `receive-directed`; other
 * kinds keep their capability when sent to one peer (a direct chat line is still chat). Unknown
 * kinds are treated as room data: `read-chat`.
 */
export function perceiveFor(kind: string, directed = false): Perceive | null {
  if (kind === 'app' && directed) return 'receive-directed'
  const need = PERCEIVE_BY_KIND.get(kind)
  return need === undefined ? 'read-chat' : need
}

/**
 * The act capability a sender needs for content `kind` (a content `k` or a MediaLane). `app` data
 * carrying an agent `act` envelope (`agentKind === 'act'`) needs `act`; every other content
 * emission needs `send-chat`. Unknown kinds need `send-chat`.
 */
export function actFor(kind: string, agentKind?: string): Act | null {
  if (kind === 'app' && agentKind === 'act') return 'act'
  const need = ACT_BY_KIND.get(kind)
  return need === undefined ? 'send-chat' : need
}

/** The agent envelope kind named inside `app` data (its own `__kib_agent` string), if any. */
function agentKindOf(message: ContentMessage): string | undefined {
  if (message.k !== 'app') return undefined
  const kind = readOwn(message.data, AGENT_KEY)
  return typeof kind === 'string' ? kind : undefined
}

/** perceiveFor a decoded content message. */
export function perceiveForContent(message: ContentMessage, directed = false): Perceive | null {
  return perceiveFor(message.k, directed)
}

/**
 * actFor a decoded content message: `app` data whose `__kib_agent` is `act` needs `act` (decided on
 * the key alone, so a malformed act envelope is still gated as an act).
 */
export function actForContent(message: ContentMessage): Act | null {
  return actFor(message.k, agentKindOf(message))
}
