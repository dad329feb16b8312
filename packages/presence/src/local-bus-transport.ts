import { Emitter, ErrorCode, fail, type Clock, type Result } from '@kibitz/protocol'
import type { BusNotice } from './local-bus-broker.js'
import type { RoomTransport, RoomTransportEvents, RoomTransportListener } from './transport.js'

/** The operations a bus transport asks of its broker (acked, like socket.io acks). */
export type BusOp = 'join' | 'claim' | 'release' | 'leave'

/** What a bus transport needs from the bus network (implemented by `createLocalBus`). */
export interface BusWire {
  readonly clock: Clock
  readonly timeoutMs: number
  /** A new socket connection for `endpoint`; returns its socket id. */
  open(endpoint: BusEndpoint): string
  request(conn: string, op: BusOp, tag: string, done: (reply: Result<unknown>) => void): void
  send(conn: string, tag: string, to: string, payload: Uint8Array): void
  /** Close the connection politely: the broker sees the disconnect after what was already sent. */
  close(conn: string): void
}

/** What the bus network calls on a transport. */
export interface BusEndpoint {
  /** A pushed broker event for connection `conn`. */
  deliver(conn: string, tag: string, notice: BusNotice): void
  /** Connection `conn` died; `reconnect` is called later unless `final`. */
  lost(conn: string, final: boolean, reason: string): void
  /** Open a new connection after a non-final loss. */
  reconnect(): void
}

type Settle = (result: Result<never>) => void

/** A {@link RoomTransport} over the in-memory bus; mirrors `connectBroker` rule for rule. */
export class LocalBusTransport implements RoomTransport, BusEndpoint {
  readonly tag: string
  readonly #wire: BusWire
  readonly #events = new Emitter<RoomTransportEvents>()
  readonly #pending = new Set<Settle>()
  /** The live connection id; null between a drop and the reconnect. */
  #conn: string | null
  #self: string | null = null
  #joined = false
  #rejoining = false
  #closed = false

  constructor(wire: BusWire, tag: string) {
    this.#wire = wire
    this.tag = tag
    this.#conn = wire.open(this)
  }

  get self(): string | null {
    return this.#self
  }

  /** The current connection's socket id, joined or not (tests: `bus.kill(t.socketId)`). */
  get socketId(): string | null {
    return this.#conn
  }

  #request<T>(op: BusOp, shape: (v: unknown) => T): Promise<Result<T>> {
    if (this.#closed)
      return Promise.resolve(fail(ErrorCode.TIMEOUT, `${op}: the transport is closed`))
    const conn = this.#conn
    if (conn === null) {
      return Promise.resolve(fail(ErrorCode.TIMEOUT, `${op}: the connection to the broker is down`))
    }
    const clock = this.#wire.clock
    return new Promise<Result<T>>((resolve) => {
      const settle: Settle = (result) => {
        if (!this.#pending.delete(settle)) return
        clock.clearTimeout(timer)
        resolve(result)
      }
      const timer = clock.setTimeout(
        () => settle(fail(ErrorCode.TIMEOUT, `${op}: no answer from the broker`)),
        this.#wire.timeoutMs,
      )
      this.#pending.add(settle)
      this.#wire.request(conn, op, this.tag, (reply) => {
        if (!this.#pending.delete(settle)) return
        clock.clearTimeout(timer)
        resolve(reply.ok ? { ok: true, value: shape(reply.value) } : reply)
      })
    })
  }

  async join(): Promise<Result<{ self: string; authority: string | null }>> {
    const conn = this.#conn
    const r = await this.#request('join', (v) => v as { self: string; authority: string | null })
    if (r.ok && !this.#closed && conn === this.#conn) {
      this.#self = r.value.self
      this.#joined = true
    }
    return r
  }

  async claim(): Promise<Result<{ granted: boolean; authority: string | null }>> {
    if (this.#rejoining) return fail(ErrorCode.TIMEOUT, 'claim: re-joining after a reconnect')
    return this.#request('claim', (v) => v as { granted: boolean; authority: string | null })
  }

  async release(): Promise<Result<object>> {
    if (this.#rejoining) return fail(ErrorCode.TIMEOUT, 'release: re-joining after a reconnect')
    return this.#request('release', (v) => v as object)
  }

  send(to: string, payload: Uint8Array): void {
    const conn = this.#conn
    if (this.#closed || conn === null || this.#rejoining || this.#self === null) return
    this.#wire.send(conn, this.tag, to, payload)
  }

  async leave(): Promise<void> {
    if (this.#closed) return
    this.#joined = false
    if (this.#conn !== null && !this.#rejoining) await this.#request('leave', (v) => v as object)
    this.#finish('left')
  }

  on<K extends keyof RoomTransportEvents>(
    event: K,
    listener: RoomTransportListener<K>,
  ): () => void {
    return this.#events.on(event, listener)
  }

  close(): void {
    this.#finish('closed')
  }

  deliver(conn: string, tag: string, notice: BusNotice): void {
    if (this.#closed || conn !== this.#conn || tag !== this.tag || this.#rejoining) return
    switch (notice.kind) {
      case 'frame':
        this.#events.emit('frame', { from: notice.from, payload: notice.payload })
        break
      case 'memberLeft':
        this.#events.emit('memberLeft', { id: notice.id })
        break
      case 'vacated':
        this.#events.emit('vacated', { authority: notice.authority })
        break
    }
  }

  lost(conn: string, final: boolean, reason: string): void {
    if (this.#closed || conn !== this.#conn) return
    this.#conn = null
    this.#self = null
    this.#rejoining = false
    this.#failPending(`the connection dropped (${reason})`)
    if (final) this.#finish(reason)
  }

  reconnect(): void {
    if (this.#closed || this.#conn !== null) return
    const conn = this.#wire.open(this)
    this.#conn = conn
    if (!this.#joined) return
    this.#rejoining = true
    void this.#request('join', (v) => v as { self: string; authority: string | null }).then((r) => {
      if (this.#closed || conn !== this.#conn) return
      this.#rejoining = false
      if (!r.ok) {
        this.#finish(`re-join failed: ${r.error.code}`)
        return
      }
      this.#self = r.value.self
      this.#events.emit('reset', { self: r.value.self, authority: r.value.authority })
    })
  }

  #failPending(why: string): void {
    for (const settle of [...this.#pending]) settle(fail(ErrorCode.TIMEOUT, why))
  }

  #finish(reason: string): void {
    if (this.#closed) return
    this.#closed = true
    this.#joined = false
    this.#self = null
    const conn = this.#conn
    this.#conn = null
    if (conn !== null) this.#wire.close(conn)
    this.#failPending(`the transport closed (${reason})`)
    this.#events.emit('closed', { reason })
    this.#events.clear()
  }
}
