import {
  ErrorCode,
  MAX_BROKER_FRAME_BYTES,
  RoomTagSchema,
  fail,
  ok,
  type Result,
} from '@kibitz/protocol'

/**
 * The broker contract (`@kibitz/broker` SPEC B2, B4–B10) as a synchronous in-memory state machine.
 * The local bus puts a network around it; this file only decides who is in which tag, who holds the
 * authority slot, and which notices each operation produces.
 */

export type BusNotice =
  | { kind: 'frame'; from: string; payload: Uint8Array }
  | { kind: 'memberLeft'; id: string }
  | { kind: 'vacated'; authority: string }

export type BusNotify = (to: string, tag: string, notice: BusNotice) => void

interface Room {
  members: Set<string>
  authority: string | null
}

export interface BusBrokerLimits {
  /** B3: sockets per tag (default 64). */
  maxSocketsPerTag: number
  /** B3: tags per socket (default 8). */
  maxTagsPerSocket: number
}

export class BusBroker {
  readonly #rooms = new Map<string, Room>()
  readonly #tagsOf = new Map<string, Set<string>>()
  readonly #notify: BusNotify
  readonly #limits: BusBrokerLimits

  constructor(notify: BusNotify, limits: BusBrokerLimits) {
    this.#notify = notify
    this.#limits = limits
  }

  authorityOf(tag: string): string | null {
    return this.#rooms.get(tag)?.authority ?? null
  }

  members(tag: string): string[] {
    return [...(this.#rooms.get(tag)?.members ?? [])]
  }

  #member(id: string, tag: string): Room | null {
    const room = this.#rooms.get(tag)
    return room && room.members.has(id) ? room : null
  }

  /** B2, B3. */
  join(id: string, tag: string): Result<{ self: string; authority: string | null }> {
    if (!RoomTagSchema.safeParse(tag).success) {
      return fail(ErrorCode.BAD_MESSAGE, 'malformed join: the tag is not a room tag')
    }
    let room = this.#rooms.get(tag)
    if (!room?.members.has(id)) {
      const mine = this.#tagsOf.get(id) ?? new Set<string>()
      if (mine.size >= this.#limits.maxTagsPerSocket) {
        return fail(
          ErrorCode.TOO_MANY_ROOMS,
          `a socket may join at most ${this.#limits.maxTagsPerSocket} tags`,
        )
      }
      if ((room?.members.size ?? 0) >= this.#limits.maxSocketsPerTag) {
        return fail(
          ErrorCode.ROOM_FULL,
          `the tag already holds ${this.#limits.maxSocketsPerTag} sockets`,
        )
      }
      if (!room) this.#rooms.set(tag, (room = { members: new Set(), authority: null }))
      room.members.add(id)
      mine.add(tag)
      this.#tagsOf.set(id, mine)
    }
    return ok({ self: id, authority: room.authority })
  }

  /** B4. */
  claim(id: string, tag: string): Result<{ granted: boolean; authority: string | null }> {
    const room = this.#member(id, tag)
    if (!room) return fail(ErrorCode.NOT_IN_ROOM, 'join the tag before claiming it')
    if (room.authority === null) room.authority = id
    return ok({ granted: room.authority === id, authority: room.authority })
  }

  /** B5, B10. */
  release(id: string, tag: string): Result<object> {
    const room = this.#member(id, tag)
    if (!room) return fail(ErrorCode.NOT_IN_ROOM, 'not a member of this tag')
    if (room.authority !== null && room.authority !== id) {
      return fail(ErrorCode.CLAIM_DENIED, 'the authority slot is held by another socket')
    }
    if (room.authority === id) this.#vacate(tag, room, id)
    return ok({})
  }

  /** B9, B10: `leave` of a tag you are not in is an idempotent ok. */
  leave(id: string, tag: string): Result<object> {
    this.#depart(id, tag)
    return ok({})
  }

  /** B6, B7, B12. The frame is handed to `notify`; the bus decides whether it arrives. */
  send(id: string, tag: string, to: string, payload: Uint8Array): Result<object> {
    if (!(payload instanceof Uint8Array) || payload.byteLength === 0) {
      return fail(ErrorCode.BAD_MESSAGE, 'malformed send: the payload must be non-empty binary')
    }
    if (payload.byteLength > MAX_BROKER_FRAME_BYTES) {
      return fail(
        ErrorCode.TOO_LARGE,
        `frame is ${payload.byteLength} bytes; the limit is ${MAX_BROKER_FRAME_BYTES}`,
      )
    }
    const room = this.#member(id, tag)
    if (!room) return fail(ErrorCode.NOT_IN_ROOM, 'join the tag before sending in it')
    if (!room.members.has(to)) return fail(ErrorCode.NO_SUCH_PEER, 'no such peer in this tag')
    this.#notify(to, tag, { kind: 'frame', from: id, payload })
    return ok({})
  }

  /** The socket is gone: it departs every tag (B9, B10). */
  disconnect(id: string): void {
    for (const tag of [...(this.#tagsOf.get(id) ?? [])]) this.#depart(id, tag)
    this.#tagsOf.delete(id)
  }

  #depart(id: string, tag: string): void {
    const room = this.#rooms.get(tag)
    if (!room?.members.delete(id)) return
    this.#tagsOf.get(id)?.delete(tag)
    if (room.authority === id) this.#vacate(tag, room, id)
    else if (room.authority !== null) {
      this.#notify(room.authority, tag, { kind: 'memberLeft', id })
    }
    if (room.members.size === 0) this.#rooms.delete(tag)
  }

  /** B10: the slot is free; every remaining member except the former holder hears it. */
  #vacate(tag: string, room: Room, holder: string): void {
    room.authority = null
    for (const member of room.members) {
      if (member !== holder) this.#notify(member, tag, { kind: 'vacated', authority: holder })
    }
  }
}
