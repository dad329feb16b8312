import {
  deriveRoomKeys,
  Emitter,
  ENGINE_VERSION,
  FEATURES,
  GrantSchema,
  identityHash,
  KibitzError,
  MAX_BANS,
  PROTOCOL_VERSION,
  realClock,
  type Clock,
  type Grant,
  type GrantMap,
  type JsonObject,
  type LobbyStatus,
  type ModOp,
  type PresenceMessage,
  type Result,
  type Roster,
  type RosterMember,
  type SignalMessage,
  type TimerHandle,
} from '@kibitz/protocol'
import { Authority, type InheritedState, type RoomState } from './authority.js'
import { Serial } from './serial.js'
import type { RoomTransport } from './transport.js'
import type {
  HostTier,
  KnockEntry,
  Participant,
  PresenceTiming,
  RoomEvents,
  RoomOptions,
  RoomPhase,
  RoomSnapshot,
} from './types.js'
import { PresenceWire, sealMessage, type Inbound } from './wire.js'

export const DEFAULT_TIMING: PresenceTiming = {
  pingMs: 2500,
  reapMs: 12_000,
  freezeGuardMs: 6000,
  gateTimeoutMs: 10_000,
}

/** Statuses after which a participant stops announcing until the app acts. */
const STOPPED: ReadonlySet<LobbyStatus> = new Set(['denied', 'locked', 'unverified', 'removed'])

/**
 * R21: signals from a sender not (yet) on the roster we hold are kept this long, at most this many
 * senders and this many signals each, for when its roster (or our admission of it) comes; then
 * they are `dropped` as `NOT_ROSTERED`.
 */
export const SIGNAL_HOLD = { maxSenders: 16, maxPerSender: 32, ttlMs: 5_000 } as const

export interface Room {
  /** Derive keys, connect, claim or join. Resolves once we hold a role (or wait in the lobby). */
  start(): Promise<void>
  leave(): Promise<void>
  getSnapshot(): RoomSnapshot
  subscribe(listener: () => void): () => void
  on<K extends keyof RoomEvents>(event: K, listener: (payload: RoomEvents[K]) => void): () => void
  setName(name: string): void
  setAvatar(avatar: string): void
  setMeta(meta: Record<string, unknown>): void
  setMedia(media: { cam?: boolean; mic?: boolean }): void
  /** Joiner side: introduce yourself to a gated room; re-call to rename while waiting. */
  knock(name: string, avatar?: string): void
  /**
   * Mesh signaling (SDP, ICE, link control) to another rostered participant, sealed like every
   * frame. Returns false (nothing sent) unless both of us are on the roster. Inbound: `signal`.
   */
  sendSignal(to: string, message: SignalMessage): boolean
  /** Host side. Each returns false (and does nothing) unless we are the host. */
  setLobby(on: boolean): boolean
  admit(id: string): boolean
  deny(id: string): boolean
  remove(id: string): boolean
  setLocked(on: boolean): boolean
  resetRoom(): boolean
  /**
   * Host side: set `id`'s explicit capability grant (null clears it back to the kind default). The
   * authority keeps the map for rostered ids and every roster carries it (`snapshot.grants`).
   * False when we are not the host or the grant is malformed; what a grant means belongs to
   * `@kibitz/capabilities`.
   */
  setGrant(id: string, grant: Grant | null): boolean
  /** Resolves when no presence work is queued (tests, benchmarks). */
  whenIdle(): Promise<void>
}

function randomIdentity(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** Snapshots hand out copies: an app mutating a participant must not reach the roster (R20). */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

function freezeParticipant(p: Participant): Participant {
  return deepFreeze({ ...p, meta: structuredClone(p.meta), engine: structuredClone(p.engine) })
}

function lacksBans(r: Roster, state: RoomState): boolean {
  if (state.bans.length === 0) return false
  const theirs = new Set(r.bans ?? [])
  return state.bans.some((b) => !theirs.has(b))
}

function newer(a: Roster, b: Roster | null): boolean {
  return b === null || a.epoch > b.epoch || (a.epoch === b.epoch && a.seq > b.seq)
}

export function createRoom(options: RoomOptions): Room {
  const clock: Clock = options.clock ?? realClock
  const random = options.random ?? Math.random
  const timing: PresenceTiming = { ...DEFAULT_TIMING, ...options.timing }
  const host: HostTier = options.host ?? { kind: 'none' }
  const identity = options.identity ?? randomIdentity()
  const events = new Emitter<RoomEvents>()
  const listeners = new Set<() => void>()
  const serial = new Serial()
  const outbox = new Serial()

  let info: Omit<RosterMember, 'id'> = {
    name: options.name,
    avatar: options.avatar ?? '',
    cam: options.cam ?? false,
    mic: options.mic ?? false,
    // JSON-ness is checked when the announce is encoded (protocol P6).
    meta: (options.meta ?? {}) as JsonObject,
    ...(typeof options.meta?.role === 'string' ? { role: options.meta.role } : {}),
    engine: { v: ENGINE_VERSION, p: PROTOCOL_VERSION, f: [...FEATURES] },
  }
  let transport: RoomTransport | null = null
  let wire: PresenceWire | null = null
  let tag = ''
  let idh = ''
  let self: string | null = null
  let phase: RoomPhase = 'connecting'
  let role: 'none' | 'member' | 'authority' = 'none'
  let authorityId: string | null = null
  let authority: Authority | null = null
  let roster: Roster | null = null
  let known: RoomState | null = null
  /** The host's explicit capability grants, from the last roster we accepted. */
  let grants: GrantMap = {}
  let announcedTo: string | null = null
  /** B22: the holder the broker relayed our handshake's announce to, until we become its member. */
  let preannounced: string | null = null
  /** What that announce said of us: sent again at once if we changed since. */
  let preannouncedInfo: typeof info | null = null
  let lastHeard = 0
  /** When the authority last sent us a roster (it re-sends one every heartbeat to members). */
  let lastRosterAt = 0
  let lobby: LobbyStatus | null = null
  /** R21: signals from senders not on our roster yet, in arrival order (bounded: SIGNAL_HOLD). */
  const held = new Map<string, { since: number; messages: SignalMessage[] }>()
  let ticker: TimerHandle | null = null
  let claiming = false
  const unsubs: (() => void)[] = []
  let snapshot: RoomSnapshot = computeSnapshot()
  /** `snapshot` serialized: what `refresh` compares against (computed once per change). */
  let snapshotKey = JSON.stringify(snapshot)
  const hash = new Map<string, Promise<string>>()

  // ── snapshot & events ──────────────────────────────────────────────────────────────────────

  function selfMember(): RosterMember {
    return { id: self ?? '', ...info }
  }

  function currentRoster(): Roster | null {
    return authority ? authority.roster() : roster
  }

  function computeSnapshot(): RoomSnapshot {
    const r = currentRoster()
    const onRoster = r?.members.some((m) => m.id === self) ?? false
    const members = r && onRoster ? r.members : []
    const participants: Participant[] = members.map((m) =>
      freezeParticipant({
        id: m.id,
        name: m.name,
        avatar: m.avatar,
        cam: m.cam,
        mic: m.mic,
        role: m.role,
        meta: m.meta,
        engine: m.engine,
        isSelf: m.id === self,
        isHost: r?.host === m.id,
        isAuthority: r?.authority === m.id,
        verified: m.verified === true,
      }),
    )
    const knocks: KnockEntry[] = authority ? authority.knocks() : (roster?.knocks ?? [])
    return Object.freeze({
      phase,
      self,
      authority: authorityId,
      isAuthority: role === 'authority',
      host: r?.host ?? null,
      isHost: self !== null && r?.host === self,
      participants: Object.freeze(participants),
      knocks: Object.freeze(knocks),
      lobby,
      lobbyOn: authority ? authority.lobby : (roster?.lobby ?? false),
      locked: authority ? authority.locked : (roster?.locked ?? false),
      bans: Object.freeze(authority ? authority.state().bans : (known?.bans ?? [])),
      grants: deepFreeze(structuredClone(authority ? authority.grants() : grants)),
      epoch: authority ? authority.epoch : (roster?.epoch ?? 0),
    })
  }

  function refresh(): void {
    const before = snapshot
    const candidate = computeSnapshot()
    // Keep the snapshot's identity unless something visible changed (R20): bindings built on
    // useSyncExternalStore re-render on identity, and heartbeats change nothing.
    const key = JSON.stringify(candidate)
    if (key === snapshotKey) return
    snapshot = candidate
    snapshotKey = key
    const prev = new Map(before.participants.map((p) => [p.id, p]))
    const next = new Map(snapshot.participants.map((p) => [p.id, p]))
    let changed = before.participants.length !== snapshot.participants.length
    for (const [id, p] of next) {
      const old = prev.get(id)
      if (!old) events.emit('join', p)
      if (!old || JSON.stringify(old) !== JSON.stringify(p)) changed = true
    }
    for (const [id, p] of prev) if (!next.has(id)) events.emit('leave', p)
    if (changed) events.emit('participants', snapshot.participants)
    if (JSON.stringify(before.knocks) !== JSON.stringify(snapshot.knocks)) {
      events.emit('knocks', snapshot.knocks)
    }
    if (before.authority !== snapshot.authority) {
      events.emit('authority', { id: snapshot.authority, self: snapshot.isAuthority })
    }
    if (before.lobby !== snapshot.lobby) events.emit('lobby', snapshot.lobby)
    for (const l of [...listeners]) l()
    // After the listeners: a mesh fed from them already has the newly rostered peer.
    releaseHeld()
  }

  // ── sending ────────────────────────────────────────────────────────────────────────────────

  function send(to: string, message: PresenceMessage | SignalMessage): void {
    if (phase === 'left' || phase === 'removed') return
    wire?.send(to, message)
  }

  function announceMessage(): PresenceMessage {
    return {
      t: 'announce',
      identity,
      ...info,
      ...(info.avatar === '' ? {} : { avatar: info.avatar }),
    }
  }

  function announce(): void {
    if (!authorityId || authorityId === self) return
    announcedTo = authorityId
    send(authorityId, announceMessage())
  }

  // ── roles ──────────────────────────────────────────────────────────────────────────────────

  function inheritedState(): InheritedState | null {
    if (!roster && !known) return null
    const base = known ?? {
      epoch: 0,
      lobby: false,
      locked: false,
      bans: [],
      admitted: [],
      hostIdentity: null,
    }
    return {
      ...base,
      epoch: Math.max(base.epoch, roster?.epoch ?? 0),
      // The departed authority is gone; everyone else is inherited and announces to us.
      members: (roster?.members ?? []).filter((m) => m.id !== roster?.authority && m.id !== self),
      grants,
      hostId: roster?.host ?? null,
    }
  }

  function becomeAuthority(): void {
    role = 'authority'
    authorityId = self
    // Whoever holds the slot is in the room: a peer that was waiting or refused only wins it
    // when no admitted member was left to claim (R12), and then starts the room afresh.
    lobby = null
    authority = new Authority(
      {
        self: self!,
        clock,
        timing,
        host,
        gate: options.gate,
        selfEntry: () => ({ info: selfMember(), idh }),
        hash: hashIdentity,
        send: (to, m) => send(to, m),
        changed: refresh,
        selfBanned: () => void serial.run(removed),
        resetLocal: () => events.emit('reset', {}),
        enqueue: (fn) => void serial.run(fn),
      },
      inheritedState(),
    )
    roster = null
    authority.broadcast()
    refresh()
  }

  function becomeMember(holder: string): void {
    keepAuthorityState()
    role = 'member'
    authority = null
    const changed = authorityId !== holder
    if (changed) {
      authorityId = holder
      announcedTo = null
    }
    lastHeard = clock.now()
    lastRosterAt = clock.now()
    if (!lobby || !STOPPED.has(lobby)) {
      // A new authority may know less than we do (R11): hand our state over before announcing,
      // so it already counts us as admitted and knows every ban.
      if (changed && known) send(holder, { t: 'sync', ...known })
      // The broker relayed our first announce from the handshake (B22): it is on its way, unless
      // we changed since it was sealed (a camera turned on while joining).
      if (changed && preannounced === holder && preannouncedInfo === info) announcedTo = holder
      else announce()
    }
    preannounced = null
    refresh()
  }

  async function claim(): Promise<void> {
    if (!transport || claiming || phase !== 'joined') return
    claiming = true
    try {
      const r = await transport.claim()
      if (!r.ok) return
      if (r.value.granted) becomeAuthority()
      else if (r.value.authority) becomeMember(r.value.authority)
    } finally {
      claiming = false
    }
  }

  /** Ask the broker who holds the slot (idempotent join); claim if nobody does. */
  async function rediscover(): Promise<void> {
    if (!transport || phase !== 'joined') return
    const r = await transport.join()
    if (!r.ok) return
    if (r.value.authority === null) await claim()
    else if (r.value.authority !== self) becomeMember(r.value.authority)
  }

  // ── inbound ────────────────────────────────────────────────────────────────────────────────

  async function onFrame(from: string, opening: Promise<Inbound> | null): Promise<void> {
    if (!opening || !wire || phase === 'left' || phase === 'removed') return
    const opened = await opening
    if (opened.plane === null) {
      events.emit('dropped', { from, code: opened.code })
      return
    }
    if (opened.plane === 'signal') {
      // Mesh signaling (R21): only between peers that are both on the roster we hold; a sender
      // that may be about to join it is held a moment, one in our lobby never.
      if (isRosteredPeer(from)) events.emit('signal', { from, message: opened.message })
      else if (mayHold(from)) hold(from, opened.message)
      else events.emit('dropped', { from, code: 'NOT_ROSTERED' })
      return
    }
    const m = opened.message
    if (role === 'authority' && authority) {
      if (m.t === 'roster') {
        // Someone else believes they coordinate: the broker decides.
        if (m.epoch > authority.epoch) await rediscover()
        return
      }
      if (m.t === 'lobby' || m.t === 'kick' || m.t === 'reset' || m.t === 'caps') return
      await authority.handle(from, m)
      refresh()
      return
    }
    if (role !== 'member') return
    if (from === authorityId) lastHeard = clock.now()
    switch (m.t) {
      case 'roster':
        return onRoster(from, m)
      case 'lobby':
        if (from !== authorityId) return
        lobby = m.status
        // Not in (any more): the roster we held is no longer ours to see (R6).
        if (m.status !== 'admitted') roster = null
        if (m.status === 'admitted') announce()
        if (m.status === 'removed') return removed()
        refresh()
        return
      case 'kick':
        if (from === authorityId) return removed()
        return
      case 'reset':
        if (from === authorityId) events.emit('reset', {})
        return
      default:
        return
    }
  }

  async function onRoster(from: string, r: Roster): Promise<void> {
    if (from === authorityId) lastRosterAt = clock.now()
    if (from !== authorityId) {
      // A roster from someone we don't know as authority: a migration we haven't heard of yet,
      // or a stale coordinator. Only the broker knows; ask it.
      if (roster && !newer(r, roster) && (known?.epoch ?? 0) >= r.epoch) return
      await rediscover()
      if (from !== authorityId) return
    }
    if (known && (r.epoch < known.epoch || lacksBans(r, known))) {
      // Our authority holds older moderation state than we know (it never saw a roster, or an
      // old one): hand it over (R11). Repeated on every such roster, so a lost sync heals.
      send(from, { t: 'sync', ...known })
      if (announcedTo !== from) announce()
      if (r.epoch < known.epoch) return
    }
    if (!newer(r, roster) && roster?.authority === from) return
    roster = r
    grants = r.grants ?? {}
    if (r.bans && r.admitted && r.hostIdentity !== undefined) learn(r)
    const onIt = r.members.some((m) => m.id === self)
    if (onIt && (lobby === 'waiting' || lobby === 'admitted')) lobby = 'admitted'
    if (!onIt || announcedTo !== from) {
      if (!lobby || !STOPPED.has(lobby)) announce()
    }
    refresh()
  }

  /** Take the roster's state; bans only ever grow (there is no unban), so keep ours too. */
  function learn(r: Roster): void {
    const bans = new Set(known?.bans ?? [])
    for (const b of r.bans ?? []) bans.add(b)
    known = {
      epoch: r.epoch,
      lobby: r.lobby,
      locked: r.locked,
      bans: [...bans].slice(-MAX_BANS),
      admitted: r.admitted ?? [],
      hostIdentity: r.hostIdentity ?? known?.hostIdentity ?? null,
    }
  }

  /** Stepping down (new socket, or the broker says someone else holds the slot): remember. */
  function keepAuthorityState(): void {
    if (authority) {
      known = authority.state()
      grants = authority.grants()
    }
  }

  async function removed(): Promise<void> {
    // Let what we already queued (e.g. the roster carrying our own ban) leave first.
    await outbox.whenIdle()
    lobby = 'removed'
    phase = 'removed'
    stopTicker()
    const t = transport
    transport = null
    wire = null
    role = 'none'
    authority = null
    refresh()
    void t?.leave()
  }

  function onVacated(): void {
    if (role !== 'member') return
    authorityId = null
    if (lobby === 'waiting' || (lobby && STOPPED.has(lobby))) {
      // Not admitted: never race for the slot (a waiting peer must not end up coordinating a room
      // it was not let into). Find out who won after a short, jittered pause.
      clock.setTimeout(
        () => void serial.run(rediscover),
        timing.pingMs / 5 + random() * (timing.pingMs / 5),
      )
      return
    }
    void serial.run(claim)
  }

  function onMemberLeft(id: string): void {
    if (role === 'authority' && authority) {
      authority.memberLeft(id)
      refresh()
    }
  }

  async function onReset(newSelf: string, holder: string | null): Promise<void> {
    // New socket id: every role tied to the old one is gone. Start over (identity is stable, so
    // the authority treats our announce as the same participant).
    self = newSelf
    // What was held was sent to the old socket, for links that went with it.
    held.clear()
    keepAuthorityState()
    role = 'none'
    authority = null
    authorityId = null
    announcedTo = null
    if (holder === null) await claim()
    if (role === 'none') {
      if (holder !== null) becomeMember(holder)
      else await rediscover()
    }
    refresh()
  }

  // ── heartbeat ──────────────────────────────────────────────────────────────────────────────

  function tick(): void {
    if (phase !== 'joined') return
    releaseHeld()
    if (role === 'authority' && authority) {
      authority.tick()
      refresh()
      return
    }
    if (role !== 'member' || !authorityId) return
    if (lobby && STOPPED.has(lobby)) return
    if (lobby !== 'waiting' && clock.now() - lastHeard > timing.reapMs) {
      // The authority went silent but the broker hasn't said it left (frozen or partitioned):
      // ask the broker. A live holder keeps the slot and we stay a member.
      lastHeard = clock.now()
      void serial.run(claim)
      return
    }
    // Rostered members ping. Two silent heartbeats without a roster mean the authority dropped us
    // (reaped while partitioned): announce again rather than ping into the void (R5).
    const onRoster = roster?.members.some((m) => m.id === self) ?? false
    const fresh = clock.now() - lastRosterAt <= 2 * timing.pingMs
    if (onRoster && fresh && announcedTo === authorityId) send(authorityId, { t: 'ping' })
    else announce()
  }

  function stopTicker(): void {
    if (ticker !== null) clock.clearInterval(ticker)
    ticker = null
  }

  function hashIdentity(value: string): Promise<string> {
    let p = hash.get(value)
    if (!p) {
      const work = identityHash(tag, value)
      p = clock.track ? clock.track(work) : work
      hash.set(value, p)
      if (hash.size > 1024) hash.delete(hash.keys().next().value as string)
    }
    return p
  }

  /** Both of us are on the roster we hold (R21). */
  function isRosteredPeer(id: string): boolean {
    if (id === self || phase !== 'joined') return false
    const members = currentRoster()?.members ?? []
    return members.some((m) => m.id === self) && members.some((m) => m.id === id)
  }

  /**
   * R21 early dial: before our first roster, the authority the broker named may be signaled (it
   * holds what we send until it admits us, and drops it if we knock). Not once we know we wait
   * in its lobby or were turned away.
   */
  function isEarlyDialTarget(id: string): boolean {
    if (id === self || phase !== 'joined' || id !== authorityId || lobby !== null) return false
    return !(currentRoster()?.members.some((m) => m.id === self) ?? false)
  }

  /** Whether a signal from `from`, not on our roster, may wait for it (R21). */
  function mayHold(from: string): boolean {
    if (from === self || phase !== 'joined') return false
    // We wait in a lobby (or were stopped): nobody may reach our mesh.
    if (lobby !== null && lobby !== 'admitted') return false
    // A sender waiting in our lobby: its signals are dropped, never kept for later.
    return !(role === 'authority' && authority?.knocks().some((k) => k.id === from))
  }

  function hold(from: string, message: SignalMessage): void {
    releaseHeld()
    let entry = held.get(from)
    if (!entry) {
      if (held.size >= SIGNAL_HOLD.maxSenders) {
        events.emit('dropped', { from, code: 'NOT_ROSTERED' })
        return
      }
      entry = { since: clock.now(), messages: [] }
      held.set(from, entry)
    }
    if (entry.messages.length >= SIGNAL_HOLD.maxPerSender) {
      events.emit('dropped', { from, code: 'NOT_ROSTERED' })
      return
    }
    entry.messages.push(message)
  }

  /** Give held signals to senders now rostered, in order; drop the stale and the refused. */
  function releaseHeld(): void {
    if (held.size === 0) return
    const now = clock.now()
    for (const [from, entry] of [...held]) {
      const deliver = isRosteredPeer(from)
      if (!deliver && mayHold(from) && now - entry.since < SIGNAL_HOLD.ttlMs) continue
      held.delete(from)
      for (const message of entry.messages) {
        if (deliver) events.emit('signal', { from, message })
        else events.emit('dropped', { from, code: 'NOT_ROSTERED' })
      }
    }
  }

  // ── host actions ───────────────────────────────────────────────────────────────────────────

  function moderate(op: ModOp, target?: string, grant?: Grant): boolean {
    if (!snapshot.isHost || phase !== 'joined') return false
    void serial.run(() => {
      if (role === 'authority' && authority) {
        authority.moderate(op, target, grant)
        refresh()
      } else if (authorityId) {
        send(authorityId, {
          t: 'mod',
          op,
          ...(target === undefined ? {} : { target }),
          ...(grant === undefined ? {} : { grant }),
        })
      }
    })
    return true
  }

  function updateSelf(patch: Partial<typeof info>): void {
    info = { ...info, ...patch }
    void serial.run(() => {
      if (role === 'authority' && authority) authority.selfChanged()
      else announce()
      refresh()
    })
  }

  // ── public surface ─────────────────────────────────────────────────────────────────────────

  return {
    async start() {
      if (transport) return
      // A `leave()` may land during any await below: then we stop, and close what we opened.
      const stopped = () => phase === 'left' || phase === 'removed'
      const derived = deriveRoomKeys(options.room)
      const keys = await (clock.track ? clock.track(derived) : derived)
      if (!keys.ok) throw keys.error
      tag = keys.value.tag
      idh = await hashIdentity(identity)
      if (stopped() || transport) return
      const roomKeys = keys.value
      let presealed: { info: typeof info; sealed: Promise<Result<Uint8Array>> } | null = null
      const sealAnnounce = () => ({ info, sealed: sealMessage(roomKeys, announceMessage()) })
      const t = options.connect(tag, {
        // Sealed while the socket opens, again when the transport asks only if our info changed
        // meanwhile. Only a fresh start: with room state to hand over (R11) the `sync` comes first.
        announce: async () => {
          if (known !== null || stopped()) return null
          if (presealed?.info !== info) presealed = sealAnnounce()
          preannouncedInfo = presealed.info
          const sealed = await presealed.sealed
          return sealed.ok ? sealed.value : null
        },
      })
      if (known === null) presealed = sealAnnounce()
      transport = t
      wire = new PresenceWire(keys.value, t, outbox, (work) => clock.track?.(work) ?? work)
      unsubs.push(
        t.on('frame', ({ from, payload }) => {
          // Opened at once (a burst of frames decrypts in parallel), handled in arrival order.
          const opened = wire?.open(payload) ?? null
          void serial.run(() => onFrame(from, opened))
        }),
        t.on('vacated', () => void serial.run(onVacated)),
        t.on('memberLeft', ({ id }) => void serial.run(() => onMemberLeft(id))),
        t.on('reset', ({ self: s, authority: a }) => void serial.run(() => onReset(s, a))),
        t.on('closed', () => void serial.run(() => removedOrLeft())),
      )
      // Join and claim in one flight: the broker answers them in order, and a claim on a held slot
      // is only refused. The first joiner holds the slot after one round trip instead of two, and
      // a joiner that raced another for a vacant slot learns the winner without a third.
      const [joined, claimed] = await Promise.all([t.join(), t.claim()])
      if (stopped()) {
        // leave() ran while we were joining: it could not reach this transport yet.
        for (const u of unsubs.splice(0)) u()
        if (transport === t) {
          transport = null
          wire = null
        }
        await t.leave()
        return
      }
      if (!joined.ok) {
        throw new KibitzError(joined.error.code, `cannot join the room: ${joined.error.message}`)
      }
      await serial.run(async () => {
        self = joined.value.self
        phase = 'joined'
        preannounced = joined.value.announcedTo ?? null
        if (claimed.ok) {
          if (claimed.value.granted) becomeAuthority()
          else if (claimed.value.authority !== null && claimed.value.authority !== self)
            becomeMember(claimed.value.authority)
        }
        // The pipelined claim was refused or lost: the sequential way.
        if (role === 'none' && joined.value.authority === null) await claim()
        if (role === 'none') {
          if (joined.value.authority !== null) becomeMember(joined.value.authority)
          else await rediscover()
        }
        // Only the first choice of authority may count on the handshake's announce.
        preannounced = null
        refresh()
      })
      if (stopped()) return
      ticker = clock.setInterval(() => void serial.run(tick), timing.pingMs)
    },

    async leave() {
      if (phase === 'left') return
      await serial.run(() => {
        if (role === 'member' && authorityId) send(authorityId, { t: 'leave' })
      })
      await outbox.whenIdle()
      phase = 'left'
      stopTicker()
      for (const u of unsubs.splice(0)) u()
      const t = transport
      transport = null
      wire = null
      authority = null
      role = 'none'
      refresh()
      await t?.leave()
    },

    getSnapshot: () => snapshot,
    subscribe(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    on: (event, listener) => events.on(event, listener),

    setName: (name) => updateSelf({ name }),
    setAvatar: (avatar) => updateSelf({ avatar }),
    setMeta(meta) {
      // The role follows meta.role: a meta without one clears it.
      const { role: _previous, ...rest } = info
      info = { ...rest, ...(typeof meta.role === 'string' ? { role: meta.role } : {}) }
      updateSelf({ meta: meta as JsonObject })
    },
    setMedia: (media) => updateSelf(media),
    knock(name, avatar) {
      info = { ...info, name, ...(avatar === undefined ? {} : { avatar }) }
      void serial.run(() => {
        if (lobby && STOPPED.has(lobby) && lobby !== 'removed') lobby = null
        if (role === 'member' && authorityId) {
          send(authorityId, {
            t: 'knock',
            name,
            identity,
            ...(info.avatar ? { avatar: info.avatar } : {}),
          })
          if (lobby !== 'waiting') announce()
        }
        refresh()
      })
    },

    sendSignal(to, message) {
      if (!isRosteredPeer(to) && !isEarlyDialTarget(to)) return false
      send(to, message)
      return true
    },

    setLobby: (on) => moderate(on ? 'lobby-on' : 'lobby-off'),
    admit: (id) => moderate('admit', id),
    deny: (id) => moderate('deny', id),
    remove: (id) => moderate('remove', id),
    setLocked: (on) => moderate(on ? 'lock' : 'unlock'),
    resetRoom: () => moderate('reset'),
    setGrant: (id, grant) => {
      if (typeof id !== 'string' || id.length === 0) return false
      if (grant === null) return moderate('caps', id)
      const parsed = GrantSchema.safeParse(grant)
      return parsed.success ? moderate('caps', id, parsed.data) : false
    },

    async whenIdle() {
      while (serial.busy || outbox.busy) {
        await serial.whenIdle()
        await outbox.whenIdle()
      }
    },
  }

  function removedOrLeft(): void {
    held.clear()
    if (phase === 'joined' || phase === 'connecting') {
      phase = 'left'
      stopTicker()
      role = 'none'
      authority = null
      refresh()
    }
  }
}
