import { MAX_CHAT_LINES, type Chat } from '@kibitz/protocol'

/** One line of room chat as the app sees it. */
export interface ChatLine {
  /** Unique within its author: `${from}/${mid}` identifies a line. */
  mid: string
  /** Socket id of the author (the data channel it came over, never a field of the payload). */
  from: string
  /** The author's name from the roster when the line arrived (never from the wire). */
  name: string
  text: string
  /** The author's clock, ms since the epoch (display order only). */
  ts: number
  /** A direct line: sent to one participant, never re-broadcast. */
  dm: boolean
  /** For a direct line we sent: its recipient. */
  to?: string
  isSelf: boolean
}

/** How many of our own public lines a late joiner is sent (the rest stay local). */
export const CHAT_REPLAY_LINES = 100

/**
 * The chat log (C-chat rules in SPEC.md): an ordered union of every author's lines, deduplicated by
 * (author, mid), ordered by the author's timestamp, capped at MAX_CHAT_LINES (oldest dropped).
 * Authors re-send their own recent public lines to each newly connected peer, so a late joiner
 * sees the conversation so far without any server.
 */
export class ChatLog {
  #lines: ChatLine[] = []
  readonly #keys = new Set<string>()
  #seq = 0
  readonly #prefix: string

  constructor(random: () => number = Math.random) {
    this.#prefix = Math.floor(random() * 0xffffffff)
      .toString(36)
      .padStart(7, '0')
  }

  get lines(): readonly ChatLine[] {
    return this.#lines
  }

  /** A new line of ours; returns it with a fresh mid and our timestamp. */
  own(self: string, name: string, text: string, ts: number, to?: string): ChatLine {
    const line: ChatLine = {
      mid: `${this.#prefix}-${(this.#seq++).toString(36)}`,
      from: self,
      name,
      text,
      ts,
      dm: to !== undefined,
      ...(to !== undefined ? { to } : {}),
      isSelf: true,
    }
    this.#insert(line)
    return line
  }

  /** A line from the wire, attributed by the caller; false when it was already here. */
  receive(from: string, name: string, chat: Chat, now: number): ChatLine | null {
    const mid = chat.mid ?? `anon-${(this.#seq++).toString(36)}`
    const line: ChatLine = {
      mid,
      from,
      name,
      text: chat.text,
      // A future timestamp would pin a line to the bottom forever: clamp to our clock.
      ts: Math.min(chat.ts ?? now, now),
      dm: chat.dm === true,
      isSelf: false,
    }
    return this.#insert(line) ? line : null
  }

  /** Our own recent public lines, oldest first, as wire messages for a late joiner. */
  replay(self: string): Chat[] {
    return this.#lines
      .filter((l) => l.from === self && !l.dm)
      .slice(-CHAT_REPLAY_LINES)
      .map((l) => ({ k: 'chat', text: l.text, mid: l.mid, ts: l.ts }))
  }

  /** Our socket id changed (reconnect): our lines stay ours. */
  rekeySelf(oldSelf: string, newSelf: string): void {
    if (oldSelf === newSelf) return
    this.#lines = this.#lines.map((l) => (l.from === oldSelf ? { ...l, from: newSelf } : l))
    this.#keys.clear()
    for (const l of this.#lines) this.#keys.add(`${l.from}/${l.mid}`)
  }

  clear(): void {
    this.#lines = []
    this.#keys.clear()
  }

  #insert(line: ChatLine): boolean {
    const key = `${line.from}/${line.mid}`
    if (this.#keys.has(key)) return false
    this.#keys.add(key)
    const next = [...this.#lines]
    // Stable insertion by timestamp: equal stamps keep arrival order.
    let i = next.length
    while (i > 0 && next[i - 1]!.ts > line.ts) i--
    next.splice(i, 0, line)
    while (next.length > MAX_CHAT_LINES) {
      const gone = next.shift()!
      this.#keys.delete(`${gone.from}/${gone.mid}`)
    }
    this.#lines = next
    return true
  }
}
