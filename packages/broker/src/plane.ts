import {
  BrokerEvent,
  ErrorCode,
  decodeBrokerRequest,
  decodeHandshakeJoin,
  type AuthorityVacatedEvent,
  type FrameEvent,
  type ClaimReply,
  type HandshakeJoin,
  type JoinedEvent,
  type JoinReply,
  type MemberLeftEvent,
  type RefusedEvent,
  type SendRequest,
  type WireError,
} from '@kibitz/protocol'
import type { Server, Socket } from 'socket.io'
import type { Claim, ClaimStore } from './claims.js'
import type { BrokerMetrics } from './metrics.js'
import type { Occupancy } from './occupancy.js'
import { TokenBucket } from './rate.js'
import { VacancyLedger } from './vacancy.js'

/**
 * The socket plane (SPEC.md B1–B14): join / claim / release / send / leave and the pushed notices.
 * Routing uses socket.io rooms only, so it is identical on one process and across processes behind
 * the Redis adapter: a socket in tag T sits in room `T` and in room `T|<socketId>`; a frame to
 * `to` goes to room `T|to`, which exists only if `to` is in T (on whichever node).
 */

export interface PlaneLimits {
  maxSocketsPerTag: number
  maxTagsPerSocket: number
  rate: number
  burst: number
}

export interface PlaneDeps {
  io: Server
  claims: ClaimStore
  occupancy: Occupancy
  metrics: BrokerMetrics
  limits: PlaneLimits
  /** True with the Redis adapter: other nodes exist and claims can change without us seeing it. */
  clustered: boolean
}

type Ack = (reply: unknown) => void
type Op = 'join' | 'claim' | 'release' | 'leave' | 'send'
const OPS: readonly Op[] = ['join', 'claim', 'release', 'leave', 'send']
const KNOWN_EVENTS: ReadonlySet<string> = new Set(OPS)
/** A socket refused this many times in a row (rate limit) is disconnected (B11). */
const FLOOD_STREAK_FACTOR = 10
const VACATED_SERVER_EVENT = 'kibitz:vacated'

interface Member {
  id: string
  socket: Socket
  tags: Set<string>
  bucket: TokenBucket
  streak: number
  closed: boolean
  /** Ops of one socket run in order; `tail` is the last one still in flight (null: idle). */
  tail: Promise<void> | null
}

const memberRoom = (tag: string, id: string) => `${tag}|${id}`

export interface SocketPlane {
  localSockets(): number
  localTags(): number
  /** Redis mode: refresh held claims + liveness (every ttl/3). */
  refreshClaims(): Promise<void>
  /** Redis mode: notice remote claims that vanished (dead node) and tell local members (B13). */
  watchClaims(): Promise<void>
  /** Disconnect every socket and wait for their departures (claims released, notices sent). */
  shutdown(): Promise<void>
}

export function createSocketPlane(deps: PlaneDeps): SocketPlane {
  const { io, claims, occupancy, metrics, limits, clustered } = deps
  const members = new Map<string, Member>()
  /** tag → ids of local member sockets. */
  const local = new Map<string, Set<string>>()
  /** Claims held by local sockets (refreshed in Redis mode). */
  const held = new Map<string, Claim>()
  const ledger = new VacancyLedger()
  const inflight = new Set<Promise<void>>()

  const internalError = (error: unknown): WireError => {
    metrics.handlerErrors++
    void error
    return { code: ErrorCode.INTERNAL, message: 'internal broker error' }
  }

  function refuse(
    m: Member,
    op: string,
    tag: string | undefined,
    ack: Ack | null,
    error: WireError,
  ): void {
    metrics.refused(error.code)
    if (ack) {
      ack({ ok: false, error })
      return
    }
    const event: RefusedEvent = tag === undefined ? { op, error } : { op, tag, error }
    m.socket.emit(BrokerEvent.refused, event)
  }

  const fail = (code: ErrorCode, message: string): WireError => ({ code, message })

  const rateLimited = () =>
    fail(ErrorCode.RATE_LIMITED, 'slow down: the request rate limit is exceeded')

  /** The op needs a tag this socket has joined (B2). */
  const notInRoom = (m: Member, op: Op, tag: string, ack: Ack | null, message: string) =>
    refuse(m, op, tag, ack, fail(ErrorCode.NOT_IN_ROOM, message))

  function track(p: Promise<void>): void {
    inflight.add(p)
    void p.finally(() => inflight.delete(p))
  }

  /** Run `task` after the socket's earlier ops; synchronously when none is in flight. */
  function run(m: Member, task: () => void | Promise<void>): void {
    if (m.tail === null) {
      const r = task()
      if (r === undefined) return
      chain(m, r)
      return
    }
    chain(m, m.tail.then(task))
  }
  function chain(m: Member, p: Promise<void>): void {
    const tail: Promise<void> = p.then(
      () => {
        if (m.tail === tail) m.tail = null
      },
      () => {
        if (m.tail === tail) m.tail = null
      },
    )
    m.tail = tail
    track(tail)
  }

  /** Rate limit (B11): one token per request, known or not. */
  function admit(m: Member): boolean {
    if (m.bucket.take()) {
      m.streak = 0
      return true
    }
    m.streak++
    if (m.streak > FLOOD_STREAK_FACTOR * limits.burst && !m.closed) {
      metrics.disconnectedFlooders++
      m.socket.disconnect(true)
    }
    return false
  }

  function addLocal(tag: string, id: string): void {
    let set = local.get(tag)
    if (!set) local.set(tag, (set = new Set()))
    set.add(id)
  }
  function removeLocal(tag: string, id: string): void {
    const set = local.get(tag)
    if (!set) return
    set.delete(id)
    if (set.size === 0) {
      local.delete(tag)
      ledger.forget(tag)
    }
  }
  function noteClaim(tag: string, claim: Claim | null): void {
    if (clustered && local.has(tag)) ledger.note(tag, claim)
  }

  /** Tell this node's members of `tag` that `claim` is gone (once per claim epoch). */
  function vacatedHere(tag: string, claim: Claim, includeHolder: boolean): void {
    if (!local.has(tag) || !ledger.firstVacancy(tag, claim)) return
    const event: AuthorityVacatedEvent = { tag, authority: claim.holder }
    const target = clustered ? io.local.to(tag) : io.to(tag)
    ;(includeHolder ? target : target.except(memberRoom(tag, claim.holder))).emit(
      BrokerEvent.authorityVacated,
      event,
    )
  }
  function announceVacated(tag: string, claim: Claim, includeHolder: boolean): void {
    vacatedHere(tag, claim, includeHolder)
    if (clustered)
      io.serverSideEmit(VACATED_SERVER_EVENT, tag, claim.holder, claim.epoch, includeHolder)
  }
  if (clustered) {
    io.on(
      VACATED_SERVER_EVENT,
      (tag: unknown, holder: unknown, epoch: unknown, includeHolder: unknown) => {
        if (typeof tag === 'string' && typeof holder === 'string' && typeof epoch === 'string') {
          vacatedHere(tag, { holder, epoch }, includeHolder === true)
        }
      },
    )
  }

  async function freeClaim(tag: string, claim: Claim): Promise<void> {
    if (held.get(tag)?.epoch === claim.epoch) held.delete(tag)
    if (await claims.release(tag, claim)) announceVacated(tag, claim, false)
  }

  /** A member leaves `tag` (leave or disconnect): B9, B10. */
  async function depart(m: Member, tag: string): Promise<void> {
    if (!m.tags.delete(tag)) return
    removeLocal(tag, m.id)
    if (!m.closed) {
      void m.socket.leave(tag)
      void m.socket.leave(memberRoom(tag, m.id))
    }
    await occupancy.exit(tag)
    const claim = await claims.get(tag)
    if (claim === null) return
    if (claim.holder === m.id) await freeClaim(tag, claim)
    else {
      const event: MemberLeftEvent = { tag, id: m.id }
      io.to(memberRoom(tag, claim.holder)).emit(BrokerEvent.memberLeft, event)
    }
  }

  const handlers = {
    async join(m: Member, tag: string, ack: Ack | null): Promise<void> {
      if (!m.tags.has(tag)) {
        if (m.tags.size >= limits.maxTagsPerSocket) {
          return refuse(
            m,
            'join',
            tag,
            ack,
            fail(
              ErrorCode.TOO_MANY_ROOMS,
              `a socket may join at most ${limits.maxTagsPerSocket} tags`,
            ),
          )
        }
        if (!(await occupancy.enter(tag, limits.maxSocketsPerTag))) {
          return refuse(
            m,
            'join',
            tag,
            ack,
            fail(ErrorCode.ROOM_FULL, `the tag already holds ${limits.maxSocketsPerTag} sockets`),
          )
        }
        if (m.closed) return void (await occupancy.exit(tag))
        m.tags.add(tag)
        addLocal(tag, m.id)
        void m.socket.join([tag, memberRoom(tag, m.id)])
      }
      const claim = await claims.get(tag)
      noteClaim(tag, claim)
      ack?.({ ok: true, self: m.id, authority: claim?.holder ?? null })
    },

    async claim(m: Member, tag: string, ack: Ack | null): Promise<void> {
      if (!m.tags.has(tag))
        return notInRoom(m, 'claim', tag, ack, 'join the tag before claiming it')
      const claim = await claims.claim(tag, m.id)
      const granted = claim.holder === m.id
      if (granted && (m.closed || !m.tags.has(tag))) {
        // The socket left while the claim was in flight: give it straight back.
        await freeClaim(tag, claim)
        return
      }
      if (granted && held.get(tag)?.epoch !== claim.epoch) {
        held.set(tag, claim)
        metrics.claimsGranted++
      }
      noteClaim(tag, claim)
      ack?.({ ok: true, granted, authority: claim.holder })
    },

    async release(m: Member, tag: string, ack: Ack | null): Promise<void> {
      if (!m.tags.has(tag)) return notInRoom(m, 'release', tag, ack, 'not a member of this tag')
      const claim = await claims.get(tag)
      if (claim !== null && claim.holder !== m.id) {
        return refuse(
          m,
          'release',
          tag,
          ack,
          fail(ErrorCode.CLAIM_DENIED, 'the authority slot is held by another socket'),
        )
      }
      if (claim !== null) await freeClaim(tag, claim)
      ack?.({ ok: true })
    },

    async leave(m: Member, tag: string, ack: Ack | null): Promise<void> {
      await depart(m, tag)
      ack?.({ ok: true })
    },

    send(m: Member, req: SendRequest, ack: Ack | null): void {
      const { tag, to, payload } = req
      if (!m.tags.has(tag))
        return notInRoom(m, 'send', tag, ack, 'join the tag before sending in it')
      const frame: FrameEvent = { tag, from: m.id, payload }
      const target = members.get(to)
      if (target) {
        if (!target.tags.has(tag))
          return refuse(
            m,
            'send',
            tag,
            ack,
            fail(ErrorCode.NO_SUCH_PEER, 'no such peer in this tag'),
          )
        target.socket.emit(BrokerEvent.frame, frame)
      } else if (clustered) {
        // Maybe on another node; the room exists there only if `to` is in this tag.
        io.to(memberRoom(tag, to)).emit(BrokerEvent.frame, frame)
      } else {
        return refuse(m, 'send', tag, ack, fail(ErrorCode.NO_SUCH_PEER, 'no such peer in this tag'))
      }
      metrics.framesRelayed++
      metrics.bytesRelayed += payload.byteLength
      ack?.({ ok: true })
    },
  }

  function dispatch(m: Member, op: Op, args: unknown[]): void {
    const last = args.length > 0 ? args[args.length - 1] : undefined
    const ack = typeof last === 'function' ? (last as Ack) : null
    try {
      if (!admit(m)) return refuse(m, op, undefined, ack, rateLimited())
      if (op === 'send') {
        const req = decodeBrokerRequest.send(args[0])
        if (!req.ok) return refuse(m, op, undefined, ack, req.error.toJSON())
        // Sends run synchronously (hot path) unless an earlier op of this socket is still in flight.
        run(m, () => {
          try {
            handlers.send(m, req.value, ack)
          } catch (error) {
            refuse(m, op, undefined, ack, internalError(error))
          }
        })
        return
      }
      const req = decodeBrokerRequest[op](args[0])
      if (!req.ok) return refuse(m, op, undefined, ack, req.error.toJSON())
      const tag = req.value.tag
      run(m, () =>
        handlers[op](m, tag, ack).catch((error: unknown) =>
          refuse(m, op, tag, ack, internalError(error)),
        ),
      )
    } catch (error) {
      refuse(m, op, undefined, ack, internalError(error))
    }
  }

  /**
   * B21: the join (and claim) a client asked for in its handshake, answered as one `joined` event
   * right after the connection is accepted. Rate-limited and ordered with the socket's requests
   * exactly like the `join` and `claim` it stands for (B11, B15); a refusal is the reply inside.
   */
  function joinOnConnect(m: Member, { join: tag, claim, announce }: HandshakeJoin): void {
    const attempt = async (op: 'join' | 'claim'): Promise<unknown> => {
      let reply: unknown
      const capture: Ack = (r) => (reply = r)
      try {
        if (!admit(m)) refuse(m, op, tag, capture, rateLimited())
        else await handlers[op](m, tag, capture)
      } catch (error) {
        refuse(m, op, tag, capture, internalError(error))
      }
      return reply
    }
    run(m, async () => {
      const join = (await attempt('join')) as JoinedEvent['join'] | undefined
      // No reply: the socket went away meanwhile.
      if (join === undefined || m.closed) return
      const claimed =
        claim && join.ok ? ((await attempt('claim')) as JoinedEvent['claim']) : undefined
      if (m.closed) return
      const announced = announce && join.ok ? relayAnnounce(m, tag, announce, join, claimed) : null
      const event: JoinedEvent = {
        tag,
        join,
        ...(claimed !== undefined ? { claim: claimed } : {}),
        ...(announced !== null ? { announced } : {}),
      }
      m.socket.emit(BrokerEvent.joined, event)
    })
  }

  /**
   * B22: relay the handshake's sealed `announce` to whoever holds the slot now — exactly a `send`
   * from this socket (rate B11, routing B6). Returns the holder it went to, or null: no holder, the
   * slot is ours, or the send was refused (the client then announces by itself).
   */
  function relayAnnounce(
    m: Member,
    tag: string,
    payload: Uint8Array,
    join: JoinReply,
    claimed: ClaimReply | undefined,
  ): string | null {
    const holder = claimed?.ok ? claimed.authority : join.ok ? join.authority : null
    if (holder === null || holder === m.id || !admit(m)) return null
    let reply: { ok?: boolean } | undefined
    handlers.send(m, { tag, to: holder, payload }, (r) => (reply = r as { ok?: boolean }))
    return reply?.ok === true ? holder : null
  }

  io.on('connection', (socket) => {
    const m: Member = {
      id: socket.id,
      socket,
      tags: new Set(),
      bucket: new TokenBucket(limits.rate, limits.burst),
      streak: 0,
      closed: false,
      tail: null,
    }
    members.set(m.id, m)
    socket.onAny((event: unknown) => {
      if (typeof event === 'string' && KNOWN_EVENTS.has(event)) return
      metrics.unknownEvents++
      try {
        admit(m)
      } catch (error) {
        internalError(error)
      }
    })
    for (const op of OPS) socket.on(op, (...args: unknown[]) => dispatch(m, op, args))
    const early = decodeHandshakeJoin(socket.handshake.auth)
    if (early) joinOnConnect(m, early)
    socket.on('disconnect', () => {
      m.closed = true
      members.delete(m.id)
      run(m, async () => {
        for (const tag of [...m.tags]) {
          try {
            await depart(m, tag)
          } catch (error) {
            internalError(error)
          }
        }
      })
    })
  })

  let refreshing = false
  let watching = false
  return {
    localSockets: () => members.size,
    localTags: () => local.size,

    async refreshClaims() {
      if (refreshing) return
      refreshing = true
      try {
        await occupancy.heartbeat()
        for (const [tag, claim] of [...held]) {
          if (await claims.refresh(tag, claim)) continue
          if (held.get(tag)?.epoch === claim.epoch) held.delete(tag)
          announceVacated(tag, claim, true)
        }
      } finally {
        refreshing = false
      }
    },

    async watchClaims() {
      if (watching || local.size === 0) return
      watching = true
      try {
        const tags = [...local.keys()]
        const current = await claims.getMany(tags)
        tags.forEach((tag, i) => {
          if (!local.has(tag)) return
          const gone = ledger.observe(tag, current[i] ?? null)
          if (gone) vacatedHere(tag, gone, false)
        })
      } finally {
        watching = false
      }
    },

    async shutdown() {
      // `local`: with the Redis adapter a plain disconnectSockets() would disconnect every node's sockets.
      io.local.disconnectSockets(true)
      // Departures may chain further work; bounded rounds.
      for (let round = 0; round < 10 && inflight.size > 0; round++)
        await Promise.allSettled([...inflight])
    },
  }
}
