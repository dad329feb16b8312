import {
  brokerParser,
  BrokerEvent,
  decodeBrokerEvent,
  decodeClaimReply,
  decodeEmptyReply,
  decodeJoinedEvent,
  decodeJoinReply,
  type AuthorityVacatedEvent,
  type DecodedJoinedEvent,
  type FrameEvent,
  type MemberLeftEvent,
  type RefusedEvent,
  type Result,
} from '@kibitz/protocol'
import { io, type Socket } from 'socket.io-client'

type Listener<T> = (event: T) => void

/** A typed socket.io client of the broker contract, websocket transport only, for tests/benchmarks. */
export interface BrokerTestClient {
  readonly id: string
  readonly socket: Socket
  join(tag: string): Promise<Result<{ self: string; authority: string | null }>>
  claim(tag: string): Promise<Result<{ granted: boolean; authority: string | null }>>
  release(tag: string): Promise<Result<object>>
  leave(tag: string): Promise<Result<object>>
  /** `send` with an ack: resolves to the broker's verdict. */
  send(tag: string, to: string, payload: Uint8Array): Promise<Result<object>>
  /** `send` without an ack: errors come back as `refused` events. */
  sendNoAck(tag: string, to: string, payload: Uint8Array): void
  onFrame(cb: Listener<FrameEvent>): () => void
  onMemberLeft(cb: Listener<MemberLeftEvent>): () => void
  onVacated(cb: Listener<AuthorityVacatedEvent>): () => void
  onRefused(cb: Listener<RefusedEvent>): () => void
  /** Everything received so far, decoded (tests assert on these). */
  readonly received: {
    frames: FrameEvent[]
    memberLeft: MemberLeftEvent[]
    vacated: AuthorityVacatedEvent[]
    refused: RefusedEvent[]
    /** `joined` events: the replies to a handshake join (`ConnectOptions.auth`, broker B21). */
    joined: DecodedJoinedEvent[]
    /** Events that failed to decode (a broker bug if non-empty). */
    malformed: unknown[]
  }
  /** Resolve when `predicate` holds (checked on every received event), or reject after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void>
  close(): void
}

export interface ConnectOptions {
  timeoutMs?: number
  /** Ack timeout per request. */
  ackTimeoutMs?: number
  /** socket.io handshake `auth` (e.g. `{ kibitz: { join: tag, claim: true } }`, broker B21). */
  auth?: Record<string, unknown>
}

export async function connectClient(
  url: string,
  opts: ConnectOptions = {},
): Promise<BrokerTestClient> {
  const waiters = new Set<() => void>()
  const socket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: opts.timeoutMs ?? 5_000,
    parser: brokerParser,
    ...(opts.auth ? { auth: opts.auth } : {}),
  })
  // Before the connection completes: the broker sends `joined` right behind its connect packet.
  const joined: DecodedJoinedEvent[] = []
  const joinedMalformed: unknown[] = []
  socket.on(BrokerEvent.joined, (raw: unknown) => {
    const r = decodeJoinedEvent(raw)
    if (r.ok) joined.push(r.value)
    else joinedMalformed.push(raw)
    for (const w of [...waiters]) w()
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close()
      reject(new Error(`could not connect to ${url}`))
    }, opts.timeoutMs ?? 5_000)
    socket.once('connect', () => {
      clearTimeout(timer)
      resolve()
    })
    socket.once('connect_error', (err) => {
      clearTimeout(timer)
      socket.close()
      reject(err)
    })
  })
  // Captured once: socket.io-client clears `socket.id` on disconnect, tests still need it after.
  const id = socket.id ?? ''
  const ackTimeout = opts.ackTimeoutMs ?? 5_000
  const received: BrokerTestClient['received'] = {
    frames: [],
    memberLeft: [],
    vacated: [],
    refused: [],
    joined,
    malformed: joinedMalformed,
  }
  const listeners = {
    frame: new Set<Listener<FrameEvent>>(),
    memberLeft: new Set<Listener<MemberLeftEvent>>(),
    vacated: new Set<Listener<AuthorityVacatedEvent>>(),
    refused: new Set<Listener<RefusedEvent>>(),
  }
  function wire<T>(
    event: string,
    decode: (v: unknown) => Result<T>,
    list: T[],
    subs: Set<Listener<T>>,
  ) {
    socket.on(event, (raw: unknown) => {
      const r = decode(raw)
      if (!r.ok) received.malformed.push(raw)
      else {
        list.push(r.value)
        for (const cb of subs) cb(r.value)
      }
      for (const w of [...waiters]) w()
    })
  }
  wire(BrokerEvent.frame, decodeBrokerEvent.frame, received.frames, listeners.frame)
  wire(
    BrokerEvent.memberLeft,
    decodeBrokerEvent.memberLeft,
    received.memberLeft,
    listeners.memberLeft,
  )
  wire(
    BrokerEvent.authorityVacated,
    decodeBrokerEvent.authorityVacated,
    received.vacated,
    listeners.vacated,
  )
  wire(BrokerEvent.refused, decodeBrokerEvent.refused, received.refused, listeners.refused)

  async function request<T>(
    event: string,
    body: unknown,
    decode: (v: unknown) => Result<T>,
  ): Promise<Result<T>> {
    const reply: unknown = await socket.timeout(ackTimeout).emitWithAck(event, body)
    return decode(reply)
  }
  const sub =
    <T>(set: Set<Listener<T>>) =>
    (cb: Listener<T>) => {
      set.add(cb)
      return () => void set.delete(cb)
    }

  return {
    id,
    socket,
    join: (tag) => request(BrokerEvent.join, { tag }, decodeJoinReply),
    claim: (tag) => request(BrokerEvent.claim, { tag }, decodeClaimReply),
    release: (tag) => request(BrokerEvent.release, { tag }, decodeEmptyReply),
    leave: (tag) => request(BrokerEvent.leave, { tag }, decodeEmptyReply),
    send: (tag, to, payload) => request(BrokerEvent.send, { tag, to, payload }, decodeEmptyReply),
    sendNoAck: (tag, to, payload) => void socket.emit(BrokerEvent.send, { tag, to, payload }),
    onFrame: sub(listeners.frame),
    onMemberLeft: sub(listeners.memberLeft),
    onVacated: sub(listeners.vacated),
    onRefused: sub(listeners.refused),
    received,
    waitFor(predicate, timeoutMs = 5_000, what = 'condition') {
      if (predicate()) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate()) return
          cleanup()
          resolve()
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))
        }, timeoutMs)
        const cleanup = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
      })
    },
    close: () => void socket.close(),
  }
}
