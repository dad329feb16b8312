import {
  BrokerEvent,
  brokerParser,
  decodeBrokerEvent,
  decodeClaimReply,
  type JoinedEvent,
  decodeEmptyReply,
  decodeJoinReply,
  Emitter,
  ErrorCode,
  fail,
  MAX_ID_CHARS,
  ok,
  type Result,
} from '@kibitz/protocol'
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client'
import type {
  JoinAnswer,
  RoomTransport,
  RoomTransportEvents,
  RoomTransportListener,
} from './transport.js'

/**
 * The socket.io implementation of {@link RoomTransport}: one websocket connection per tag to a
 * Kibitz broker (`@kibitz/broker`, SPEC B1–B20), framed with the protocol's `brokerParser` (B20).
 * Everything the broker says is validated with the protocol decoders; a malformed event is
 * dropped. Runs in browsers and Node.
 */

export interface ConnectBrokerOptions {
  /** How long a request (join/claim/release/leave) waits for the broker's ack. Default 5000. */
  timeoutMs?: number
  /**
   * Reconnect after an unexpected drop (bounded backoff), re-join the tag and emit `reset` with the
   * new socket id. Default true. When reconnection gives up, the transport emits `closed`.
   */
  reconnect?: boolean
  /**
   * Extra socket.io-client options (e.g. `reconnectionAttempts`, `reconnectionDelay`, `auth`).
   * `transports`, `parser` and `forceNew` are always the transport's own.
   */
  socketOptions?: Partial<ManagerOptions & SocketOptions>
  /**
   * Join the tag inside the connection handshake (broker B21), and with `claim: true` also claim
   * its authority slot there: the first `join()` (and `claim()`) then resolve with the broker's
   * `joined` event, one round trip sooner than a request sent once connected. The requests still
   * go out: a broker without B21 answers those, and for one with it they are idempotent repeats.
   * Only the first connection; a reconnect re-joins with a request. Off by default (`false`): a
   * transport with it is in the tag from its first connection on, before any `join()` call.
   *
   * `announce` (broker B22): the engine's first presence message, sealed, for the broker to relay
   * to the authority holder as soon as the handshake's join succeeds. Called once, when the first
   * connection is made; null (or a rejection) sends none. The first `join()` then names the holder
   * that got it (`announcedTo`), and the engine does not send it again.
   */
  handshake?: { claim?: boolean; announce?: () => Promise<Uint8Array | null> } | false
}

const DEFAULT_TIMEOUT_MS = 5_000

/**
 * B21: how long after its first connect a transport waits for the handshake's `joined` before it
 * sends the `join`/`claim` requests instead (a broker older than B21 never sends `joined`). A
 * B21 broker writes `joined` right behind its connect packet, so only an older one waits this.
 */
export const HANDSHAKE_REPLY_WAIT_MS = 1_000

type Pending = (result: Result<never>) => void

type Early<T> = Promise<T | null> | null

/**
 * The handshake's answer when it is a success; else (a refusal, a malformed reply, or null: it
 * will not come) the request's, which is only sent then: a B21 broker gets no duplicate request.
 */
const handshakeOrRequest = <T extends Result<unknown>>(
  request: () => Promise<T>,
  early: Early<T>,
): Promise<T> => (early ? early.then((r) => (r?.ok ? r : request())) : request())

class SocketIoTransport implements RoomTransport {
  readonly tag: string
  readonly #socket: Socket
  readonly #timeoutMs: number
  readonly #events = new Emitter<RoomTransportEvents>()
  /** Requests waiting for an ack; settled with an error when the transport closes. */
  readonly #pending = new Set<Pending>()
  #self: string | null = null
  /** A join succeeded and no leave followed: re-join after a reconnect. */
  #joined = false
  /** Bumped on every disconnect: replies belonging to an older connection are stale. */
  #generation = 0
  /** True between a reconnect and the end of the automatic re-join. */
  #rejoining = false
  #hasConnected = false
  #closed = false
  /**
   * B21: the handshake's `joined` event, for the first `join()` and `claim()` to take; settled
   * with null when a disconnect or close means it will not come.
   */
  #earlyJoin: Early<Result<JoinAnswer>> = null
  #earlyClaim: Early<Result<{ granted: boolean; authority: string | null }>> = null
  #settleEarly: (event: Partial<JoinedEvent> | null) => void = () => {}
  /** Settles the handshake's answers with null if `joined` has not come in time. */
  #earlyTimer: ReturnType<typeof setTimeout> | null = null
  /** A handshake join was asked for and neither its answer nor its absence is known yet. */
  #awaitingHandshake = false

  constructor(url: string, tag: string, opts: ConnectBrokerOptions) {
    this.tag = tag
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
    const ask = opts.handshake
      ? { join: tag, ...(opts.handshake.claim ? { claim: true } : {}) }
      : null
    if (ask) {
      this.#awaitingHandshake = true
      const early = new Promise<Partial<JoinedEvent> | null>((r) => (this.#settleEarly = r))
      this.#earlyJoin = early.then((e) => {
        if (!e) return null
        const r = decodeJoinReply(e.join)
        const to = e.announced
        return r.ok && typeof to === 'string' && to.length > 0 && to.length <= MAX_ID_CHARS
          ? ok({ ...r.value, announcedTo: to })
          : r
      })
      if (ask.claim)
        this.#earlyClaim = early.then((e) =>
          e?.claim === undefined ? null : decodeClaimReply(e.claim),
        )
    }
    const base = opts.socketOptions?.auth
    this.#socket = io(url, {
      reconnectionAttempts: 10,
      reconnectionDelay: 250,
      reconnectionDelayMax: 5_000,
      randomizationFactor: 0.5,
      timeout: this.#timeoutMs,
      ...opts.socketOptions,
      // The caller's auth, plus the handshake join (B21) and announce (B22) on the first
      // connection only.
      auth: (cb: (data: object) => void) => {
        const send = (early: object) => {
          if (typeof base === 'function') base((data) => cb({ ...data, ...early }))
          else cb({ ...base, ...early })
        }
        if (!ask || this.#hasConnected) return send({})
        const announce = opts.handshake ? opts.handshake.announce : undefined
        if (!announce) return send({ kibitz: ask })
        announce().then(
          (bytes) => send({ kibitz: bytes ? { ...ask, announce: bytes } : ask }),
          () => send({ kibitz: ask }),
        )
      },
      reconnection: opts.reconnect ?? true,
      transports: ['websocket'],
      forceNew: true,
      parser: brokerParser,
    })
    this.#wire()
  }

  get self(): string | null {
    return this.#self
  }

  #wire(): void {
    const s = this.#socket
    s.on('connect', () => this.#onConnect())
    s.on(BrokerEvent.joined, (raw: unknown) => {
      // Our own tag, on the first connection; the replies inside are decoded like acks.
      const event = raw as Partial<JoinedEvent> | null
      if (event?.tag !== this.tag || this.#generation !== 0) return
      this.#clearEarlyTimer()
      this.#settleEarly(event)
    })
    s.on('disconnect', (reason) => {
      this.#noEarlyReplies()
      this.#generation++
      this.#rejoining = false
      this.#self = null
      // A server-side disconnect (broker shutdown, flood guard) or a drop with reconnection off:
      // socket.io will not try again, so the transport is done.
      if (!this.#willReconnect()) this.#finish(`disconnected: ${reason}`)
    })
    s.on('connect_error', (error: Error) => {
      if (!this.#willReconnect()) this.#finish(`cannot connect: ${error.message}`)
    })
    s.io.on('reconnect_failed', this.#onGaveUp)

    s.on(BrokerEvent.frame, (raw: unknown) => {
      const r = decodeBrokerEvent.frame(raw)
      if (!r.ok || r.value.tag !== this.tag || this.#rejoining) return
      this.#events.emit('frame', { from: r.value.from, payload: r.value.payload })
    })
    s.on(BrokerEvent.memberLeft, (raw: unknown) => {
      const r = decodeBrokerEvent.memberLeft(raw)
      if (!r.ok || r.value.tag !== this.tag || this.#rejoining) return
      this.#events.emit('memberLeft', { id: r.value.id })
    })
    s.on(BrokerEvent.authorityVacated, (raw: unknown) => {
      const r = decodeBrokerEvent.authorityVacated(raw)
      if (!r.ok || r.value.tag !== this.tag || this.#rejoining) return
      this.#events.emit('vacated', { authority: r.value.authority })
    })
    // `refused` (a fire-and-forget send the broker turned down) is deliberately ignored: the
    // engine's heartbeats repair loss.
  }

  #clearEarlyTimer(): void {
    this.#awaitingHandshake = false
    if (this.#earlyTimer !== null) clearTimeout(this.#earlyTimer)
    this.#earlyTimer = null
  }

  /** The handshake's replies will not come (a disconnect, or the transport closed). */
  #noEarlyReplies(): void {
    this.#clearEarlyTimer()
    this.#settleEarly(null)
    this.#earlyJoin = this.#earlyClaim = null
  }

  /** socket.io will try again by itself (transport close, ping timeout, a failed attempt). */
  #willReconnect(): boolean {
    return this.#socket.active && this.#socket.io.reconnection()
  }

  readonly #onGaveUp = (): void => this.#finish('reconnection gave up')

  #onConnect(): void {
    if (this.#closed) return
    if (!this.#hasConnected) {
      this.#hasConnected = true
      // An older broker answers no handshake: its requests go out once we stop waiting.
      if (this.#awaitingHandshake) {
        this.#earlyTimer = setTimeout(() => {
          this.#earlyTimer = null
          this.#awaitingHandshake = false
          this.#settleEarly(null)
        }, HANDSHAKE_REPLY_WAIT_MS)
      }
      return
    }
    if (!this.#joined) return
    // A reconnect: the old id and everything tied to it (its claim) are gone. Re-join first; the
    // engine hears `reset` with the new id once the broker has us in the tag again.
    this.#rejoining = true
    const generation = this.#generation
    void this.#request(BrokerEvent.join, decodeJoinReply).then((r) => {
      if (this.#closed || generation !== this.#generation) return
      this.#rejoining = false
      if (!r.ok) {
        this.#finish(`re-join failed: ${r.error.code}`)
        return
      }
      this.#self = r.value.self
      this.#events.emit('reset', { self: r.value.self, authority: r.value.authority })
    })
  }

  #request<T>(event: string, decode: (v: unknown) => Result<T>): Promise<Result<T>> {
    if (this.#closed) return Promise.resolve(fail(ErrorCode.TIMEOUT, 'the transport is closed'))
    return new Promise<Result<T>>((resolve) => {
      const settle: Pending = (result) => {
        if (!this.#pending.delete(settle)) return
        resolve(result)
      }
      this.#pending.add(settle)
      this.#socket
        .timeout(this.#timeoutMs)
        .emit(event, { tag: this.tag }, (err: unknown, reply: unknown) => {
          if (err) {
            const why = err instanceof Error ? err.message : 'no reply'
            settle(fail(ErrorCode.TIMEOUT, `${event}: no answer from the broker (${why})`))
            return
          }
          const decoded = decode(reply)
          if (!this.#pending.delete(settle)) return
          resolve(decoded)
        })
    })
  }

  /** Requests other than join need a live, joined-or-joining connection (not a reconnect gap). */
  #unavailable(op: string): Result<never> | null {
    if (this.#closed) return fail(ErrorCode.TIMEOUT, `${op}: the transport is closed`)
    if (this.#hasConnected && (!this.#socket.connected || this.#rejoining)) {
      return fail(ErrorCode.TIMEOUT, `${op}: the connection to the broker is down`)
    }
    return null
  }

  async join(): Promise<Result<JoinAnswer>> {
    // Before the first connect the request waits in socket.io's buffer; in a reconnect gap it
    // fails fast (the automatic re-join and `reset` follow the reconnect).
    if (this.#hasConnected && !this.#socket.connected && !this.#closed) {
      return fail(ErrorCode.TIMEOUT, 'join: the connection to the broker is down')
    }
    const generation = this.#generation
    const request = () => this.#request(BrokerEvent.join, decodeJoinReply)
    const early = this.#earlyJoin
    this.#earlyJoin = null
    const r = await handshakeOrRequest(request, early)
    if (r.ok && !this.#closed && generation === this.#generation) {
      this.#self = r.value.self
      this.#joined = true
    }
    return r
  }

  async claim(): Promise<Result<{ granted: boolean; authority: string | null }>> {
    const unavailable = this.#unavailable('claim')
    if (unavailable) return unavailable
    const request = () => this.#request(BrokerEvent.claim, decodeClaimReply)
    const early = this.#earlyClaim
    this.#earlyClaim = null
    return handshakeOrRequest(request, early)
  }

  async release(): Promise<Result<object>> {
    return this.#unavailable('release') ?? this.#request(BrokerEvent.release, decodeEmptyReply)
  }

  send(to: string, payload: Uint8Array): void {
    // Fire-and-forget (no ack). Never buffered across a reconnect: a frame for the old id's peers
    // would arrive before the re-join and be refused anyway.
    if (this.#closed || !this.#socket.connected || this.#rejoining || this.#self === null) return
    this.#socket.emit(BrokerEvent.send, { tag: this.tag, to, payload })
  }

  async leave(): Promise<void> {
    if (this.#closed) return
    this.#joined = false
    if (this.#socket.connected && !this.#rejoining) {
      await this.#request(BrokerEvent.leave, decodeEmptyReply)
    }
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

  #finish(reason: string): void {
    if (this.#closed) return
    this.#closed = true
    this.#joined = false
    this.#self = null
    this.#socket.disconnect()
    this.#socket.removeAllListeners()
    this.#socket.io.off('reconnect_failed', this.#onGaveUp)
    this.#noEarlyReplies()
    for (const settle of [...this.#pending]) {
      settle(fail(ErrorCode.TIMEOUT, `the transport closed (${reason})`))
    }
    this.#events.emit('closed', { reason })
    this.#events.clear()
  }
}

/**
 * Open a transport for room tag `tag` on the broker at `url` (`http(s)://host:port`). The socket
 * connects at once; call `join()` next.
 */
export function connectBroker(
  url: string,
  tag: string,
  opts: ConnectBrokerOptions = {},
): RoomTransport {
  return new SocketIoTransport(url, tag, opts)
}
