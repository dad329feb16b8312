import type { Redis } from 'ioredis'

/**
 * The authority slot of each room tag, behind one interface: an in-memory map for a single process
 * and Redis for several processes. A claim is identified by its holder (a socket id) and an epoch
 * that is unique per grant, so "the slot changed hands" is detectable even when the same socket
 * claims again.
 */
export interface Claim {
  holder: string
  epoch: string
}

export interface ClaimStore {
  readonly kind: 'memory' | 'redis'
  /** Try to take the slot for `holder`; resolves to the claim that holds it afterwards. */
  claim(tag: string, holder: string): Promise<Claim>
  get(tag: string): Promise<Claim | null>
  /** Current claims of many tags, same order (redis: batched MGET). */
  getMany(tags: readonly string[]): Promise<(Claim | null)[]>
  /** Compare-and-delete: frees the slot only if `claim` still holds it. */
  release(tag: string, claim: Claim): Promise<boolean>
  /** Extend a claim this node holds; false when it was lost (expired or taken). */
  refresh(tag: string, claim: Claim): Promise<boolean>
  close(): Promise<void>
}

let epochCounter = 0
function newEpoch(node: string): string {
  epochCounter = (epochCounter + 1) % Number.MAX_SAFE_INTEGER
  return `${node}.${epochCounter.toString(36)}`
}

export function createMemoryClaimStore(): ClaimStore {
  const slots = new Map<string, Claim>()
  return {
    kind: 'memory',
    async claim(tag, holder) {
      const held = slots.get(tag)
      if (held) return held
      const claim = { holder, epoch: newEpoch('m') }
      slots.set(tag, claim)
      return claim
    },
    async get(tag) {
      return slots.get(tag) ?? null
    },
    async getMany(tags) {
      return tags.map((t) => slots.get(t) ?? null)
    },
    async release(tag, claim) {
      const held = slots.get(tag)
      if (!held || held.epoch !== claim.epoch) return false
      slots.delete(tag)
      return true
    },
    async refresh(tag, claim) {
      return slots.get(tag)?.epoch === claim.epoch
    },
    async close() {
      slots.clear()
    },
  }
}

const CLAIM_PREFIX = 'kibitz:claim:'

// Value layout: "<holder> <epoch>". Socket ids and epochs never contain a space.
const encode = (c: Claim) => `${c.holder} ${c.epoch}`
function decode(value: string | null): Claim | null {
  if (value === null) return null
  const space = value.indexOf(' ')
  if (space <= 0) return null
  return { holder: value.slice(0, space), epoch: value.slice(space + 1) }
}

const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`
const REFRESH_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`

/**
 * Redis claims: `SET key value NX PX ttl` to claim, compare-and-delete (Lua) to release,
 * compare-and-PEXPIRE to refresh. The holding node refreshes its claims every ttl/3, so a killed
 * node's claims expire within `ttlMs`.
 */
export function createRedisClaimStore(
  redis: Redis,
  opts: { node: string; ttlMs: number },
): ClaimStore {
  const key = (tag: string) => CLAIM_PREFIX + tag
  return {
    kind: 'redis',
    async claim(tag, holder) {
      const mine = { holder, epoch: newEpoch(opts.node) }
      // Bounded: a claim that vanishes between SET and GET is retried a few times at most.
      for (let attempt = 0; attempt < 4; attempt++) {
        const set = await redis.set(key(tag), encode(mine), 'PX', opts.ttlMs, 'NX')
        if (set === 'OK') return mine
        const held = decode(await redis.get(key(tag)))
        if (held) return held
      }
      throw new Error('claim did not settle')
    },
    async get(tag) {
      return decode(await redis.get(key(tag)))
    },
    async getMany(tags) {
      const out: (Claim | null)[] = []
      for (let i = 0; i < tags.length; i += 500) {
        const chunk = tags.slice(i, i + 500)
        const values = await redis.mget(...chunk.map(key))
        for (const v of values) out.push(decode(v))
      }
      return out
    },
    async release(tag, claim) {
      return (await redis.eval(RELEASE_LUA, 1, key(tag), encode(claim))) === 1
    },
    async refresh(tag, claim) {
      return (await redis.eval(REFRESH_LUA, 1, key(tag), encode(claim), String(opts.ttlMs))) === 1
    },
    async close() {
      // The connection belongs to the caller.
    },
  }
}
