import { identityHash } from '@kibitz/protocol'
import { createLocalBus, type LocalBus } from '../local-bus.js'
import { createRoom, type Room } from '../room.js'
import { createManualClock, type ManualClock } from './clock.js'
import { createSeededRandom, randomInt, type Random } from './random.js'
import type { RoomTransport } from '../transport.js'
import type { HostTier, PresenceTiming } from '../types.js'

/**
 * R13 under seeded chaos. Each seed scripts joins, graceful leaves, kills, network blips,
 * partitions, frame loss and host moderation against the real engine on the local bus, then heals
 * everything and lets the room settle. After quiescence:
 *   - exactly one authority, the one the broker holds the slot for;
 *   - every admitted survivor has the same roster: exactly the admitted survivors;
 *   - no identity the host removed is on any roster;
 *   - no waiting peer ever held a roster (checked continuously, not just at the end).
 * Seeds are reproducible: a failure prints its seed; re-run it with KIBITZ_SEED=<n>
 * (KIBITZ_DEBUG=1 prints every peer's final state).
 */

const TIMING: Partial<PresenceTiming> = {
  pingMs: 500,
  reapMs: 3000,
  freezeGuardMs: 1500,
  gateTimeoutMs: 2000,
}
const CHAOS_MS = 8000
const SETTLE_MS = 15_000

interface Peer {
  name: string
  identity: string
  room: Room
  transport: RoomTransport | null
  /** Set once the room reported `removed` (the ban reached the victim). */
  removedAt: number | null
  dead: boolean
}

function socketOf(bus: LocalBus, p: Peer): string | null {
  return p.transport ? bus.socketOf(p.transport) : null
}

/** Run one seeded schedule; returns the violations (empty when R13 holds). */
export async function runSeed(seed: number): Promise<string[]> {
  const rnd: Random = createSeededRandom(seed)
  const clock: ManualClock = createManualClock(0)
  const bus = createLocalBus({
    clock,
    random: createSeededRandom(seed * 7919 + 17),
    latency: { min: 1, max: 8 },
  })
  const host: HostTier =
    rnd() < 0.6 ? { kind: 'name', name: 'Host', lobby: rnd() < 0.25 } : { kind: 'none' }
  const peers: Peer[] = []
  const violations: string[] = []
  const authorityChanges: number[] = []
  /** Ban hash → the peers that ever knew it (from their snapshots). */
  const knowers = new Map<string, Set<Peer>>()
  let nextId = 0

  function spawn(name: string, identity: string): Peer {
    const peer: Peer = {
      name,
      identity,
      room: null as unknown as Room,
      transport: null,
      removedAt: null,
      dead: false,
    }
    peer.room = createRoom({
      room: `chaos-${seed}`,
      name,
      identity,
      host,
      timing: TIMING,
      clock,
      random: createSeededRandom(seed * 31 + nextId),
      connect: (tag) => (peer.transport = bus.connect(tag)),
    })
    peer.room.subscribe(() => {
      const s = peer.room.getSnapshot()
      if (s.lobby === 'waiting' && s.participants.length > 0) {
        violations.push(`${name} held a roster while waiting`)
      }
      if (s.phase === 'removed' && peer.removedAt === null) peer.removedAt = clock.now()
      for (const b of s.bans) {
        let set = knowers.get(b)
        if (!set) knowers.set(b, (set = new Set()))
        set.add(peer)
      }
    })
    peer.room.on('authority', (a) => {
      authorityChanges.push(clock.now())
      if (process.env.KIBITZ_DEBUG) console.log(clock.now(), name, 'authority', a.id, a.self)
    })
    if (process.env.KIBITZ_DEBUG) {
      peer.room.on('lobby', (l) => console.log(clock.now(), name, 'lobby', l))
      peer.room.on('participants', (ps) =>
        console.log(clock.now(), name, 'sees', ps.map((x) => x.name).join(',')),
      )
    }
    void peer.room.start().catch(() => {
      peer.dead = true
    })
    peers.push(peer)
    return peer
  }

  const fresh = () => {
    const n = nextId++
    return spawn(`p${n}`, `id-${seed}-${n}`)
  }
  if (host.kind === 'name') spawn('Host', `id-${seed}-host`)
  const initial = randomInt(rnd, 2, 4)
  for (let i = 0; i < initial; i++) fresh()

  const live = () =>
    peers.filter((p) => !p.dead && p.removedAt === null && p.room.getSnapshot().phase === 'joined')
  const pick = <T>(xs: T[]): T | undefined =>
    xs.length ? xs[randomInt(rnd, 0, xs.length - 1)] : undefined

  // Chaos.
  while (clock.now() < CHAOS_MS) {
    await clock.advance(randomInt(rnd, 50, 600))
    const r = rnd()
    const victim = pick(live())
    const sock = victim ? socketOf(bus, victim) : null
    if (r < 0.18) fresh()
    else if (r < 0.26) {
      // Someone comes back under an identity used before (a reconnect; maybe a banned one).
      // (Two live sessions under one identity are one participant by design — R7 — so only
      // identities with no live session come back.)
      const liveIds = new Set(live().map((p) => p.identity))
      const old = pick(
        peers.filter((p) => (p.dead || p.removedAt !== null) && !liveIds.has(p.identity)),
      )
      if (old) spawn(`${old.name}'`, old.identity)
    } else if (r < 0.34 && victim) {
      void victim.room.leave()
      victim.dead = true
    } else if (r < 0.44 && victim && sock) {
      bus.kill(sock)
      victim.dead = true
    } else if (r < 0.52 && sock) {
      bus.disconnect(sock)
    } else if (r < 0.6) {
      const a = pick(live())
      const b = pick(live())
      const sa = a && socketOf(bus, a)
      const sb = b && socketOf(bus, b)
      if (sa && sb && sa !== sb) {
        bus.partition(sa, sb)
        clock.setTimeout(() => bus.heal(sa, sb), randomInt(rnd, 300, 2000))
      }
    } else if (r < 0.66) {
      bus.setDropRate(0.2)
      clock.setTimeout(() => bus.setDropRate(0), randomInt(rnd, 200, 1200))
    } else {
      const h = live().find((p) => p.room.getSnapshot().isHost)
      if (!h) continue
      const s = h.room.getSnapshot()
      const others = s.participants.filter((p) => !p.isSelf)
      const op = rnd()
      if (process.env.KIBITZ_DEBUG) console.log(clock.now(), 'host action', op)
      if (op < 0.35 && others.length) h.room.remove(pick(others)!.id)
      else if (op < 0.5) h.room.setLocked(!s.locked)
      else if (op < 0.65) h.room.setLobby(!s.lobbyOn)
      else if (op < 0.85 && s.knocks.length) h.room.admit(pick([...s.knocks])!.id)
      else if (s.knocks.length) h.room.deny(pick([...s.knocks])!.id)
    }
  }

  // Quiescence.
  bus.heal()
  bus.setDropRate(0)
  await clock.advance(SETTLE_MS)
  await Promise.all(peers.map((p) => p.room.whenIdle()))
  await clock.settle()

  if (process.env.KIBITZ_DEBUG) {
    for (const p of peers) {
      const s = p.room.getSnapshot()
      console.log(
        p.name,
        p.identity,
        s.self,
        s.phase,
        'lobby',
        s.lobby,
        'auth',
        s.authority,
        s.isAuthority,
        'dead',
        p.dead,
        'removedAt',
        p.removedAt,
        'sees',
        s.participants.map((x) => x.id).join(','),
      )
    }
  }
  const survivors = live()
  const admitted = survivors.filter((p) => {
    const l = p.room.getSnapshot().lobby
    return l === null || l === 'admitted'
  })
  const authorities = survivors.filter((p) => p.room.getSnapshot().isAuthority)
  const tag = survivors[0]?.transport?.tag
  if (survivors.length > 0) {
    if (authorities.length !== 1) violations.push(`${authorities.length} authorities`)
    const brokerHolder = tag ? bus.authorityOf(tag) : null
    if (authorities[0] && brokerHolder !== authorities[0].room.getSnapshot().self) {
      violations.push('the authority is not the broker slot holder')
    }
  }
  const expected = admitted
    .map((p) => p.room.getSnapshot().self)
    .sort()
    .join(',')
  for (const p of admitted) {
    const got = p.room
      .getSnapshot()
      .participants.map((x) => x.id)
      .sort()
      .join(',')
    if (got !== expected) violations.push(`${p.name} sees [${got}] instead of [${expected}]`)
  }
  // Bans. The authority's ban list is the room's; every admitted survivor knows the same list, no
  // identity on it is on any roster, and a ban that any survivor ever knew was not forgotten. (A
  // ban only the departed knew is gone with them: rooms keep no state outside their members.)
  const bySocket = new Map(peers.map((p) => [p.room.getSnapshot().self, p]))
  const authorityBans = new Set(authorities[0]?.room.getSnapshot().bans ?? [])
  for (const p of admitted) {
    const mine = [...p.room.getSnapshot().bans].sort().join(',')
    if (mine !== [...authorityBans].sort().join(',')) violations.push(`${p.name} knows other bans`)
  }
  const liveSet = new Set(survivors)
  for (const [hash, who] of knowers) {
    if ([...who].some((p) => liveSet.has(p)) && !authorityBans.has(hash)) {
      violations.push(`a ban known to a survivor was forgotten`)
    }
  }
  if (tag) {
    for (const p of admitted) {
      for (const m of p.room.getSnapshot().participants) {
        const who = bySocket.get(m.id)
        if (who && authorityBans.has(await identityHash(tag, who.identity))) {
          violations.push(`banned identity ${who.identity} is on ${p.name}'s roster`)
        }
      }
    }
  }
  for (const p of peers) void p.room.leave()
  await clock.advance(100)
  bus.close()
  return [...new Set(violations)].map((v) => `seed ${seed}: ${v}`)
}
