import { realClock, type Clock, type Result, type TimerHandle } from '@kibitz/protocol'
import { BusBroker, type BusNotice } from './local-bus-broker.js'
import {
  LocalBusTransport,
  type BusEndpoint,
  type BusOp,
  type BusWire,
} from './local-bus-transport.js'
import { createSeededRandom, randomId, randomInt, type Random } from './testing/random.js'
import type { RoomTransport } from './transport.js'

/**
 * An in-memory broker with the semantics of `@kibitz/broker` (SPEC B2, B4–B10) and a network
 * around it that tests can script: every delivery (frames, replies, notices) takes a seeded
 * latency on the injected clock, and faults — loss, partitions, kills, blips, frozen tabs — are
 * one call each. With a manual clock and a seeded random source a run is fully reproducible.
 */

export interface LocalBusOptions {
  /** Time source for every delivery and timeout. Default: the real clock. */
  clock?: Clock
  /** Uniform [0, 1) source for latencies, loss and socket ids. Default: `createSeededRandom(1)`. */
  random?: Random
  /** One-way latency of each hop (client → broker, broker → client), in ms. Default 1–5. */
  latency?: { min: number; max: number }
  /**
   * Deliveries on one connection keep their order, like a real socket (default true). With
   * `false`, frames take independent latencies and may overtake each other (requests, replies
   * and notices stay in order).
   */
  fifo?: boolean
  /** Probability that a routed frame is lost (frames only). Default 0. */
  dropRate?: number
  /** How long a transport stays down after `bus.disconnect(id)` before reconnecting. Default 50–250 ms. */
  reconnectDelay?: { min: number; max: number }
  /** Request (join/claim/release/leave) timeout. Default 5000 ms. */
  timeoutMs?: number
  /** B3: sockets per tag (default 64). */
  maxSocketsPerTag?: number
}

export interface LocalBusStats {
  /** Frames transports put on the wire. */
  framesSent: number
  /** Frames handed to a transport's `frame` listeners. */
  framesDelivered: number
  /** Frames lost to the drop rate, a partition/isolation, or a connection that died in flight. */
  framesDropped: number
  /** Frames the broker refused (sender not in the tag, no such peer, bad size). */
  framesRefused: number
}

export interface LocalBus {
  /** A transport for room tag `tag` on a fresh connection of this bus. */
  connect(tag: string): RoomTransport
  /** Loss probability for frames from now on (replies and notices are never lost). */
  setDropRate(p: number): void
  /** Frames between sockets `a` and `b` (both directions) are dropped until healed. */
  partition(a: string, b: string): void
  /** Frames to and from socket `id` are dropped until healed. */
  isolate(id: string): void
  /** `heal()`: everything; `heal(a)`: `a`'s isolation and partitions; `heal(a, b)`: that pair. */
  heal(a?: string, b?: string): void
  /** The socket dies for good (its process was killed): the broker notices; its transport closes. */
  kill(id: string): void
  /** A network blip: the socket dies; its transport reconnects with a new id and emits `reset`. */
  disconnect(id: string): void
  /**
   * Nothing goes in or out of socket `id` for `ms` (a frozen tab): deliveries wait and arrive
   * late, in order; what it sends leaves after the thaw. The broker does not disconnect it.
   */
  freeze(id: string, ms: number): void
  stats(): LocalBusStats
  /**
   * The socket id a transport of this bus is connected with right now — known before `join()`
   * (unlike `transport.self`); null while it is down or closed, or for a foreign transport.
   */
  socketOf(transport: RoomTransport): string | null
  /** Who holds `tag`'s authority slot right now, as the broker sees it. */
  authorityOf(tag: string): string | null
  /** The socket ids in `tag` right now, as the broker sees it. */
  members(tag: string): string[]
  /** Deliveries scheduled but not yet delivered (0 = the network is quiet). */
  inFlight(): number
  /** Close every transport and cancel every scheduled delivery. */
  close(): void
}

interface Item {
  run: () => void
  done: boolean
}

/** One direction of one connection. */
interface Link {
  queue: Item[]
  /** Delivery time of the last FIFO item. */
  last: number
}

interface Conn {
  id: string
  endpoint: BusEndpoint
  /** The client still uses it: deliveries to it are handed over. */
  open: boolean
  /** Died abruptly: what it had in flight towards the broker is lost. */
  severed: boolean
  up: Link
  down: Link
  frozenUntil: number | null
  heldIn: (() => void)[]
  heldOut: (() => void)[]
}

const pairKey = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`)

function checkRange(name: string, range: { min: number; max: number }): void {
  if (!(range.min >= 0 && range.max >= range.min && Number.isFinite(range.max))) {
    throw new RangeError(`${name} must satisfy 0 <= min <= max`)
  }
}

/** Create an in-memory broker + network. See {@link LocalBusOptions}. */
export function createLocalBus(options: LocalBusOptions = {}): LocalBus {
  const clock = options.clock ?? realClock
  const random = options.random ?? createSeededRandom(1)
  const latency = options.latency ?? { min: 1, max: 5 }
  const reconnectDelay = options.reconnectDelay ?? { min: 50, max: 250 }
  const fifo = options.fifo ?? true
  checkRange('latency', latency)
  checkRange('reconnectDelay', reconnectDelay)
  let dropRate = 0

  const conns = new Map<string, Conn>()
  const issued = new Set<string>()
  const partitions = new Set<string>()
  const isolated = new Set<string>()
  const timers = new Set<TimerHandle>()
  const owned = new WeakSet<LocalBusTransport>()
  const stats: LocalBusStats = {
    framesSent: 0,
    framesDelivered: 0,
    framesDropped: 0,
    framesRefused: 0,
  }
  let inFlight = 0
  let closed = false

  const broker = new BusBroker(onNotice, {
    maxSocketsPerTag: options.maxSocketsPerTag ?? 64,
    maxTagsPerSocket: 8,
  })

  /** A network event: counted in `inFlight` until it runs, cancelled by `close()`. */
  function timer(ms: number, fn: () => void): void {
    inFlight++
    const handle = clock.setTimeout(() => {
      timers.delete(handle)
      inFlight--
      fn()
    }, ms)
    timers.add(handle)
  }

  /**
   * Deliver `fn` after one hop's latency. On a FIFO link it also waits for everything queued
   * before it on that link, and runs them first.
   */
  function hop(link: Link | null, fn: () => void): void {
    if (closed) return
    const now = clock.now()
    const at = now + randomInt(random, latency.min, latency.max)
    if (link === null) {
      timer(at - now, fn)
      return
    }
    const item: Item = { run: fn, done: false }
    const when = Math.max(at, link.last)
    link.last = when
    link.queue.push(item)
    // Earlier items of the link go first, even if a real clock fires their timers late.
    timer(when - now, () => {
      while (!item.done) {
        const head = link.queue.shift()
        if (!head) break
        head.done = true
        head.run()
      }
    })
  }

  /** Client → broker. Frames skip the FIFO queue when `fifo` is off. */
  function up(conn: Conn, fn: () => void, frame = false): void {
    if (conn.frozenUntil !== null) {
      inFlight++
      conn.heldOut.push(() => {
        inFlight--
        up(conn, fn, frame)
      })
      return
    }
    hop(frame && !fifo ? null : conn.up, () => {
      if (conn.severed) {
        if (frame) stats.framesDropped++
        return
      }
      fn()
    })
  }

  /** Broker → client. */
  function down(conn: Conn, fn: () => void, frame = false): void {
    hop(frame && !fifo ? null : conn.down, () => {
      if (!conn.open) {
        if (frame) stats.framesDropped++
        return
      }
      if (conn.frozenUntil !== null) {
        inFlight++
        conn.heldIn.push(() => {
          inFlight--
          if (conn.open) fn()
          else if (frame) stats.framesDropped++
        })
        return
      }
      fn()
    })
  }

  function cutOff(a: string, b: string): boolean {
    return isolated.has(a) || isolated.has(b) || partitions.has(pairKey(a, b))
  }

  function onNotice(to: string, tag: string, notice: BusNotice): void {
    const conn = conns.get(to)
    if (!conn) return
    if (notice.kind === 'frame') {
      if (cutOff(notice.from, to) || (dropRate > 0 && random() < dropRate)) {
        stats.framesDropped++
        return
      }
      down(
        conn,
        () => {
          stats.framesDelivered++
          conn.endpoint.deliver(conn.id, tag, notice)
        },
        true,
      )
      return
    }
    down(conn, () => conn.endpoint.deliver(conn.id, tag, notice))
  }

  /** The broker notices that socket `id` is gone (B9, B10 for each of its tags). */
  function brokerDisconnect(id: string): void {
    if (!conns.delete(id)) return
    broker.disconnect(id)
  }

  function newId(): string {
    for (;;) {
      const id = randomId(random)
      if (!issued.has(id)) {
        issued.add(id)
        return id
      }
    }
  }

  const wire: BusWire = {
    clock,
    timeoutMs: options.timeoutMs ?? 5_000,
    open(endpoint) {
      const id = newId()
      conns.set(id, {
        id,
        endpoint,
        open: !closed,
        severed: false,
        up: { queue: [], last: 0 },
        down: { queue: [], last: 0 },
        frozenUntil: null,
        heldIn: [],
        heldOut: [],
      })
      return id
    },
    request(id, op: BusOp, tag, done: (reply: Result<unknown>) => void) {
      const conn = conns.get(id)
      if (!conn?.open) return
      up(conn, () => {
        const reply: Result<unknown> = broker[op](conn.id, tag)
        down(conn, () => done(reply))
      })
    },
    send(id, tag, to, payload) {
      const conn = conns.get(id)
      if (!conn?.open) return
      stats.framesSent++
      // Copied now, as a socket would serialize it: later mutation by the sender changes nothing.
      const bytes = payload instanceof Uint8Array ? payload.slice() : payload
      up(
        conn,
        () => {
          if (!broker.send(conn.id, tag, to, bytes).ok) stats.framesRefused++
        },
        true,
      )
    },
    close(id) {
      const conn = conns.get(id)
      if (!conn?.open) return
      conn.open = false
      // A polite close travels behind what was already sent (FIFO), then the broker notices.
      up(conn, () => brokerDisconnect(conn.id))
    },
  }

  function drop(id: string, reconnect: boolean, reason: string): void {
    const conn = conns.get(id)
    if (!conn?.open) return
    conn.open = false
    conn.severed = true
    inFlight -= conn.heldIn.length + conn.heldOut.length
    conn.heldIn = []
    conn.heldOut = []
    conn.frozenUntil = null
    // The broker notices the dead socket after about one hop; the client at once.
    timer(randomInt(random, latency.min, latency.max), () => brokerDisconnect(id))
    timer(0, () => conn.endpoint.lost(id, !reconnect, reason))
    if (reconnect) {
      timer(randomInt(random, reconnectDelay.min, reconnectDelay.max), () =>
        conn.endpoint.reconnect(),
      )
    }
  }

  function thaw(conn: Conn): void {
    if (conn.frozenUntil === null) return
    if (clock.now() < conn.frozenUntil) {
      timer(conn.frozenUntil - clock.now(), () => thaw(conn))
      return
    }
    conn.frozenUntil = null
    const held = [...conn.heldIn, ...conn.heldOut]
    conn.heldIn = []
    conn.heldOut = []
    for (const fn of held) fn()
  }

  return {
    connect(tag) {
      if (closed) throw new Error('this local bus is closed')
      const t = new LocalBusTransport(wire, tag)
      owned.add(t)
      return t
    },
    setDropRate(p) {
      if (!(p >= 0 && p <= 1)) throw new RangeError('drop rate must be within [0, 1]')
      dropRate = p
    },
    partition(a, b) {
      partitions.add(pairKey(a, b))
    },
    isolate(id) {
      isolated.add(id)
    },
    heal(a, b) {
      if (a === undefined) {
        partitions.clear()
        isolated.clear()
      } else if (b === undefined) {
        isolated.delete(a)
        const mark = `${a}\u0000`
        for (const key of [...partitions]) {
          if (key.startsWith(mark) || key.endsWith(`\u0000${a}`)) partitions.delete(key)
        }
      } else partitions.delete(pairKey(a, b))
    },
    kill: (id) => drop(id, false, 'killed'),
    disconnect: (id) => drop(id, true, 'disconnected'),
    freeze(id, ms) {
      const conn = conns.get(id)
      if (!conn?.open || !(ms > 0)) return
      const until = clock.now() + ms
      const wasFrozen = conn.frozenUntil !== null
      conn.frozenUntil = Math.max(conn.frozenUntil ?? 0, until)
      if (!wasFrozen) timer(ms, () => thaw(conn))
    },
    stats: () => ({ ...stats }),
    socketOf: (t) => (t instanceof LocalBusTransport && owned.has(t) ? t.socketId : null),
    authorityOf: (tag) => broker.authorityOf(tag),
    members: (tag) => broker.members(tag),
    inFlight: () => inFlight,
    close() {
      if (closed) return
      for (const conn of [...conns.values()]) {
        if (!conn.open) continue
        conn.open = false
        conn.endpoint.lost(conn.id, true, 'bus closed')
      }
      closed = true
      for (const handle of timers) clock.clearTimeout(handle)
      timers.clear()
      conns.clear()
      inFlight = 0
    },
  }
}
