import {
  MAX_ADMITTED,
  MAX_BANS,
  MAX_KNOCKS,
  MAX_ROSTER_MEMBERS,
  type Announce,
  type AuthorityToParticipant,
  type Clock,
  type Grant,
  type GrantMap,
  type Knock,
  type ModOp,
  type ParticipantToAuthority,
  type Roster,
  type RosterMember,
  type Sync,
} from '@kibitz/protocol'
import type { AdmissionGate, HostTier, KnockEntry, PresenceTiming } from './types.js'

/**
 * The authority's half of presence (SPEC R4–R14): it keeps the roster, runs the lobby, lock, bans
 * and the admission gate, reaps silent members and re-broadcasts the roster every tick, to admitted
 * members only. It is a participant's process; when it goes, a survivor builds a new Authority from
 * the last roster it saw (`InheritedState`) and members hand over what they knew (`sync`).
 * Every method runs inside the room's serial queue.
 */

/** Moderation state that survives migration (it rides every roster). */
export interface RoomState {
  epoch: number
  lobby: boolean
  locked: boolean
  bans: string[]
  admitted: string[]
  hostIdentity: string | null
}

export interface InheritedState extends RoomState {
  members: RosterMember[]
  /** The host's explicit capability grants from the last roster (socket id → grant). */
  grants: GrantMap
  /** Socket id the last roster named as host (so the host keeps its rights through migration). */
  hostId: string | null
}

interface MemberEntry {
  info: RosterMember
  /** Identity hash; null for a member inherited from a roster until it announces to us. */
  idh: string | null
  lastSeen: number
}

interface KnockState extends KnockEntry {
  idh: string
}

export interface AuthorityContext {
  self: string
  clock: Clock
  timing: PresenceTiming
  host: HostTier
  gate: AdmissionGate | undefined
  /** Our own roster entry and identity hash, always current. */
  selfEntry(): { info: RosterMember; idh: string }
  hash(identity: string): Promise<string>
  send(to: string, message: AuthorityToParticipant): void
  /** Something visible changed (roster, knocks, lobby/lock, host). */
  changed(): void
  /** The authority learned that our own identity is banned (or the host removed us). */
  selfBanned(): void
  /** The host reset the room: the authority's own participant clears too (R18). */
  resetLocal(): void
  /** A gate decision finished outside the serial queue: run `fn` inside it. */
  enqueue(fn: () => void | Promise<void>): void
}

const sameName = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase()

/** Keep the newest `max` entries of an insertion-ordered set. */
function capSet(set: Set<string>, max: number): void {
  while (set.size > max) set.delete(set.values().next().value as string)
}

export class Authority {
  #epoch: number
  #seq = 0
  #lobby: boolean
  #locked: boolean
  readonly #bans: Set<string>
  readonly #admitted: Set<string>
  #hostIdentity: string | null
  readonly #members = new Map<string, MemberEntry>()
  readonly #knocks = new Map<string, KnockState>()
  /** Candidates whose gate verification is in flight. */
  readonly #gating = new Set<string>()
  /** Knockers the host denied: their crossing announces don't requeue them; a `knock` does. */
  readonly #denied = new Set<string>()
  /** Socket ids removed before we knew their identity: ban them when they announce. */
  readonly #pendingBans = new Set<string>()
  /** Explicit capability grants set by the host, by socket id (opaque here: the call layer clamps). */
  readonly #grants = new Map<string, Grant>()
  #lastTick: number

  constructor(
    private readonly ctx: AuthorityContext,
    inherited: InheritedState | null,
  ) {
    const now = ctx.clock.now()
    this.#lastTick = now
    this.#epoch = inherited ? inherited.epoch + 1 : 0
    this.#lobby = inherited?.lobby ?? (ctx.host.kind === 'name' && ctx.host.lobby === true)
    this.#locked = inherited?.locked ?? false
    this.#bans = new Set(inherited?.bans ?? [])
    this.#admitted = new Set(inherited?.admitted ?? [])
    this.#hostIdentity = inherited?.hostIdentity ?? null
    for (const info of inherited?.members ?? []) {
      if (info.id === ctx.self) continue
      // Grace: an inherited member counts as just seen; it announces to us on the new roster. The
      // host's identity is known already, so moderation works before its announce arrives.
      const idh = info.id === inherited?.hostId ? (inherited.hostIdentity ?? null) : null
      this.#members.set(info.id, { info, idh, lastSeen: now })
    }
    for (const [id, grant] of Object.entries(inherited?.grants ?? {})) {
      if (id === ctx.self || this.#members.has(id)) this.#grants.set(id, grant)
    }
    const self = ctx.selfEntry()
    this.#admitted.add(self.idh)
    this.#claimHostByName(self.info.name, self.idh)
  }

  // ── views ──────────────────────────────────────────────────────────────────────────────────

  get epoch(): number {
    return this.#epoch
  }
  get lobby(): boolean {
    return this.#lobby
  }
  get locked(): boolean {
    return this.#locked
  }
  get hostIdentity(): string | null {
    return this.#hostIdentity
  }

  /** Socket id of the host, if the host is here. */
  hostId(): string | null {
    if (this.#hostIdentity === null) return null
    const self = this.ctx.selfEntry()
    if (self.idh === this.#hostIdentity) return this.ctx.self
    for (const [id, m] of this.#members) if (m.idh === this.#hostIdentity) return id
    return null
  }

  /** The host's explicit grants for who is rostered now. */
  grants(): GrantMap {
    return this.#liveGrants()
  }

  knocks(): KnockEntry[] {
    return [...this.#knocks.values()].map(({ id, name, avatar }) => ({ id, name, avatar }))
  }

  state(): RoomState {
    return {
      epoch: this.#epoch,
      lobby: this.#lobby,
      locked: this.#locked,
      bans: [...this.#bans],
      admitted: [...this.#admitted],
      hostIdentity: this.#hostIdentity,
    }
  }

  roster(): Roster {
    const host = this.hostId()
    const members: RosterMember[] = [{ ...this.ctx.selfEntry().info, host: host === this.ctx.self }]
    for (const [id, m] of this.#members) members.push({ ...m.info, host: host === id })
    return {
      t: 'roster',
      members: members.slice(0, MAX_ROSTER_MEMBERS),
      authority: this.ctx.self,
      host,
      lobby: this.#lobby,
      locked: this.#locked,
      epoch: this.#epoch,
      seq: this.#seq,
      bans: [...this.#bans],
      admitted: [...this.#admitted],
      hostIdentity: this.#hostIdentity,
      grants: this.#liveGrants(),
    }
  }

  // ── inbound ────────────────────────────────────────────────────────────────────────────────

  async handle(from: string, message: ParticipantToAuthority): Promise<void> {
    const member = this.#members.get(from)
    if (member) member.lastSeen = this.ctx.clock.now()
    switch (message.t) {
      case 'announce':
        return this.#announce(from, message)
      case 'knock':
        return this.#knock(from, message)
      case 'leave':
        this.#drop(from)
        return
      case 'ping':
        // Liveness only. An unknown pinger gets nothing (it may be waiting, locked out or banned;
        // a roster would leak the room): members announce, not ping, until they are rostered.
        return
      case 'mod':
        if (this.#isHostSocket(from)) this.moderate(message.op, message.target, message.grant)
        return
      case 'sync':
        return this.#sync(message)
    }
  }

  /** The broker says `id` left the tag. */
  memberLeft(id: string): void {
    this.#drop(id)
  }

  /** Heartbeat: reap the silent (unless we ourselves were frozen), then re-broadcast. */
  tick(): void {
    const now = this.ctx.clock.now()
    const gap = now - this.#lastTick
    this.#lastTick = now
    if (gap > this.ctx.timing.freezeGuardMs) {
      // Our own process slept: everyone looks silent. Give them a fresh grace period instead.
      for (const m of this.#members.values()) m.lastSeen = now
    } else {
      let reaped = false
      // Inherited members that never announced to us within a few heartbeats are gone: every live
      // member re-announces to a new authority at once (R5), and the broker's notice of a member
      // who left just before the old authority died went to the old authority (R10).
      const inheritedGrace = Math.min(this.ctx.timing.reapMs, 3 * this.ctx.timing.pingMs)
      for (const [id, m] of this.#members) {
        const limit = m.idh === null ? inheritedGrace : this.ctx.timing.reapMs
        if (now - m.lastSeen > limit) {
          this.#members.delete(id)
          reaped = true
        }
      }
      if (reaped) this.#bump()
    }
    this.broadcast()
  }

  /** Our own entry changed (name, cam, meta…). */
  selfChanged(): void {
    const self = this.ctx.selfEntry()
    this.#claimHostByName(self.info.name, self.idh)
    this.#bump()
    this.broadcast()
  }

  broadcast(): void {
    const roster = this.roster()
    const host = roster.host
    for (const id of this.#members.keys()) {
      // Only the host sees the knock queue (it admits and denies).
      this.ctx.send(id, id === host ? { ...roster, knocks: this.knocks() } : roster)
    }
  }

  // ── moderation (already authorized) ────────────────────────────────────────────────────────

  moderate(op: ModOp, target: string | undefined, grant?: Grant): void {
    switch (op) {
      case 'lobby-on':
      case 'lobby-off':
        this.#lobby = op === 'lobby-on'
        break
      case 'lock':
      case 'unlock':
        this.#locked = op === 'lock'
        break
      case 'admit': {
        const knock = target === undefined ? undefined : this.#knocks.get(target)
        if (!knock) return
        this.#knocks.delete(knock.id)
        this.#admitted.add(knock.idh)
        capSet(this.#admitted, MAX_ADMITTED)
        // The knocker re-announces on `admitted` and is rostered then (it holds its own entry).
        this.ctx.send(knock.id, { t: 'lobby', status: 'admitted' })
        break
      }
      case 'deny': {
        if (target === undefined || !this.#knocks.delete(target)) return
        this.#denied.add(target)
        this.ctx.send(target, { t: 'lobby', status: 'denied' })
        break
      }
      case 'remove': {
        if (target === undefined) return
        if (target === this.ctx.self) {
          // The host removes the coordinator: ban ourselves, tell everyone (the roster carries the
          // ban, so it survives the migration our departure triggers), then go.
          this.#ban(this.ctx.selfEntry().idh)
          this.#bump()
          this.broadcast()
          this.ctx.selfBanned()
          return
        }
        const m = this.#members.get(target)
        const knock = this.#knocks.get(target)
        const idh = m?.idh ?? knock?.idh ?? null
        if (idh) this.#ban(idh)
        else this.#pendingBans.add(target)
        this.#members.delete(target)
        this.#knocks.delete(target)
        this.ctx.send(target, { t: 'kick', reason: 'removed by the host' })
        break
      }
      case 'reset':
        for (const id of this.#members.keys()) this.ctx.send(id, { t: 'reset' })
        this.ctx.resetLocal()
        return
      case 'caps':
        // Only for someone on the roster: a grant never waits for a socket id that may be reused.
        if (target === undefined || (target !== this.ctx.self && !this.#members.has(target))) return
        if (grant) this.#grants.set(target, grant)
        else if (!this.#grants.delete(target)) return
        break
    }
    this.#bump()
    this.broadcast()
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────

  #isHostSocket(id: string): boolean {
    if (this.ctx.host.kind === 'none' || this.#hostIdentity === null) return false
    return this.#members.get(id)?.idh === this.#hostIdentity
  }

  #claimHostByName(name: string, idh: string): void {
    if (this.ctx.host.kind !== 'name' || this.#hostIdentity !== null) return
    if (sameName(name, this.ctx.host.name)) this.#hostIdentity = idh
  }

  #bump(): void {
    this.#seq++
    this.ctx.changed()
  }

  #ban(idh: string): void {
    this.#bans.add(idh)
    capSet(this.#bans, MAX_BANS)
    this.#admitted.delete(idh)
  }

  /** Grants of who is rostered now (a reaped, removed or replaced socket's entry goes). */
  #liveGrants(): Record<string, Grant> {
    for (const id of this.#grants.keys()) {
      if (id !== this.ctx.self && !this.#members.has(id)) this.#grants.delete(id)
    }
    return Object.fromEntries(this.#grants)
  }

  #drop(id: string): void {
    const was = this.#members.delete(id)
    const knocked = this.#knocks.delete(id)
    this.#denied.delete(id)
    this.#gating.delete(id)
    if (was || knocked) {
      this.#bump()
      if (was) this.broadcast()
    }
  }

  async #announce(from: string, a: Announce): Promise<void> {
    const idh = await this.ctx.hash(a.identity)
    if (this.#pendingBans.delete(from)) this.#ban(idh)
    if (this.#bans.has(idh)) {
      this.#refuse(from, 'removed')
      return
    }
    const info: RosterMember = {
      id: from,
      name: a.name,
      avatar: a.avatar ?? '',
      cam: a.cam,
      mic: a.mic,
      ...(typeof a.meta?.role === 'string' ? { role: a.meta.role } : {}),
      meta: a.meta ?? {},
      engine: a.engine,
    }
    const existing = this.#members.get(from)
    if (existing) {
      existing.info = { ...info, ...(existing.info.verified ? { verified: true } : {}) }
      existing.idh = idh
      this.#bump()
      this.broadcast()
      return
    }
    if (this.#gating.has(from)) return
    // The same identity under a new socket is a reconnect: drop the ghost.
    for (const [id, m] of this.#members) if (m.idh === idh) this.#members.delete(id)
    const known = this.#admitted.has(idh)
    const isHost = this.#hostIdentity === idh || this.#wouldBeHost(a.name)
    if (this.#locked && !known && !isHost) {
      this.#refuse(from, 'locked')
      return
    }
    if (this.#lobby && !known && !isHost) {
      if (this.#denied.has(from)) {
        // An announce that crossed the denial: stay denied until the peer knocks again.
        this.ctx.send(from, { t: 'lobby', status: 'denied' })
        return
      }
      this.#queueKnock(from, a.name, a.avatar ?? '', idh)
      return
    }
    this.#knocks.delete(from)
    if (this.ctx.gate) {
      this.#runGate(from, a, info, idh)
      return
    }
    this.#admit(from, info, idh)
  }

  #wouldBeHost(name: string): boolean {
    return (
      this.ctx.host.kind === 'name' &&
      this.#hostIdentity === null &&
      sameName(name, this.ctx.host.name)
    )
  }

  #admit(from: string, info: RosterMember, idh: string): void {
    this.#members.set(from, { info, idh, lastSeen: this.ctx.clock.now() })
    this.#admitted.add(idh)
    capSet(this.#admitted, MAX_ADMITTED)
    this.#claimHostByName(info.name, idh)
    this.#bump()
    this.broadcast()
  }

  #refuse(to: string, status: 'removed' | 'locked' | 'unverified'): void {
    if (status === 'removed') this.ctx.send(to, { t: 'kick', reason: 'removed by the host' })
    this.ctx.send(to, { t: 'lobby', status })
  }

  #queueKnock(from: string, name: string, avatar: string, idh: string): void {
    const queued = this.#knocks.get(from)
    if (!queued && this.#knocks.size >= MAX_KNOCKS) return
    this.ctx.send(from, { t: 'lobby', status: 'waiting' })
    if (queued && queued.name === name && queued.avatar === avatar) return
    this.#knocks.set(from, { id: from, name, avatar, idh })
    this.#bump()
    this.broadcast()
  }

  async #knock(from: string, k: Knock): Promise<void> {
    const idh = await this.ctx.hash(k.identity)
    if (this.#bans.has(idh)) {
      this.#refuse(from, 'removed')
      return
    }
    this.#denied.delete(from)
    const queued = this.#knocks.get(from)
    if (queued) {
      queued.name = k.name
      queued.avatar = k.avatar ?? ''
      this.#bump()
      this.broadcast()
    } else if (this.#lobby && !this.#members.has(from)) {
      this.#queueKnock(from, k.name, k.avatar ?? '', idh)
    }
  }

  #runGate(from: string, a: Announce, info: RosterMember, idh: string): void {
    const gate = this.ctx.gate!
    this.#gating.add(from)
    const candidate = {
      id: from,
      name: a.name,
      identity: a.identity,
      meta: a.meta ?? {},
      ...(a.jwt ? { jwt: a.jwt } : {}),
      ...(a.credential ? { credential: a.credential } : {}),
      ...(a.assertion ? { assertion: a.assertion } : {}),
    }
    let settled = false
    const finish = (verdict: 'admit' | 'refuse' | 'hold') =>
      this.ctx.enqueue(() => {
        if (settled) return
        settled = true
        this.ctx.clock.clearTimeout(timer)
        if (!this.#gating.delete(from)) return // left meanwhile
        if (verdict === 'admit') this.#admit(from, { ...info, verified: true }, idh)
        else if (verdict === 'refuse') this.#refuse(from, 'unverified')
        // hold: not rostered; the candidate's next announce runs the gate again.
      })
    const timer = this.ctx.clock.setTimeout(() => finish('hold'), this.ctx.timing.gateTimeoutMs)
    let pending: Promise<'admit' | 'refuse'>
    try {
      pending = gate(candidate)
    } catch {
      finish('hold')
      return
    }
    Promise.resolve(pending).then(
      (v) => finish(v === 'admit' ? 'admit' : v === 'refuse' ? 'refuse' : 'hold'),
      () => finish('hold'),
    )
  }

  #sync(s: Sync): void {
    // A member knew newer moderation state than we inherited (we claimed without a roster, or
    // from an old one): merge it. Bans only ever grow; lobby/lock/host follow the newest epoch.
    let changed = false
    for (const idh of s.bans) {
      if (!this.#bans.has(idh)) {
        this.#ban(idh)
        changed = true
      }
    }
    for (const idh of s.admitted) {
      if (!this.#admitted.has(idh) && !this.#bans.has(idh)) {
        this.#admitted.add(idh)
        changed = true
      }
    }
    capSet(this.#admitted, MAX_ADMITTED)
    if (s.epoch >= this.#epoch) {
      // Continue from the newer term, so every member sees our rosters as current.
      this.#epoch = s.epoch + 1
      this.#seq = 0
      changed = true
      this.#lobby = s.lobby
      this.#locked = s.locked
      if (s.hostIdentity !== null) this.#hostIdentity = s.hostIdentity
    }
    for (const [id, m] of this.#members) {
      if (m.idh !== null && this.#bans.has(m.idh)) {
        this.#members.delete(id)
        this.ctx.send(id, { t: 'kick', reason: 'removed by the host' })
        changed = true
      }
    }
    if (this.#bans.has(this.ctx.selfEntry().idh)) {
      this.ctx.selfBanned()
      return
    }
    if (changed) {
      this.#bump()
      this.broadcast()
    }
  }
}
