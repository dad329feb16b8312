import { requireBinary, startRedis, type RedisHandle } from '@kibitz/test-utils'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createMemoryClaimStore, createRedisClaimStore, type ClaimStore } from './claims.js'
import { createRedisOccupancy } from './occupancy.js'

// One contract suite (B4 B5 B17) against every ClaimStore implementation.
const redisBin = requireBinary('redis-server')
let redis: RedisHandle | undefined
let conn: Redis | undefined

beforeAll(async () => {
  if (!redisBin) return
  redis = await startRedis()
  conn = new Redis(redis.url, { lazyConnect: true })
  await conn.connect()
})
afterAll(async () => {
  await conn?.quit()
  await redis?.stop()
})

const stores: [string, () => ClaimStore, boolean][] = [
  ['memory', () => createMemoryClaimStore(), true],
  ['redis', () => createRedisClaimStore(conn!, { node: 'n1', ttlMs: 400 }), redisBin !== null],
]

let n = 0
const tag = () => `contract-${process.pid}-${++n}`.padEnd(43, 'x')

describe.each(stores)('ClaimStore contract: %s', (_name, make, enabled) => {
  test.skipIf(!enabled)(
    'first claim wins; others see the holder; holder re-claim is the same claim',
    async () => {
      const s = make()
      const t = tag()
      const results = await Promise.all(['a', 'b', 'c', 'd'].map((h) => s.claim(t, h)))
      const holders = new Set(results.map((r) => r.holder))
      expect(holders.size).toBe(1)
      const first = results[0]!
      expect(await s.get(t)).toEqual(first)
      expect(await s.claim(t, first.holder)).toEqual(first)
    },
  )

  test.skipIf(!enabled)(
    'release is compare-and-delete; a stale claim cannot free a newer one',
    async () => {
      const s = make()
      const t = tag()
      const c1 = await s.claim(t, 'a')
      expect(await s.release(t, { holder: 'b', epoch: c1.epoch + 'x' })).toBe(false)
      expect(await s.release(t, c1)).toBe(true)
      expect(await s.get(t)).toBeNull()
      const c2 = await s.claim(t, 'a')
      expect(c2.epoch).not.toBe(c1.epoch)
      expect(await s.release(t, c1)).toBe(false)
      expect(await s.refresh(t, c1)).toBe(false)
      expect(await s.refresh(t, c2)).toBe(true)
      expect(await s.getMany([t, tag()])).toEqual([c2, null])
    },
  )
})

describe.skipIf(!redisBin)('redis specifics', () => {
  test('B17: an unrefreshed claim expires after its TTL; a refreshed one survives', async () => {
    const s = createRedisClaimStore(conn!, { node: 'n2', ttlMs: 300 })
    const dying = tag()
    const living = tag()
    await s.claim(dying, 'a')
    const kept = await s.claim(living, 'b')
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 100))
      expect(await s.refresh(living, kept)).toBe(true)
    }
    expect(await s.get(dying)).toBeNull()
    expect(await s.get(living)).toEqual(kept)
  })

  test('B3: occupancy of a node whose liveness key expired no longer counts', async () => {
    const t = tag()
    const dead = createRedisOccupancy(conn!, { node: 'dead', ttlMs: 200 })
    const alive = createRedisOccupancy(conn!, { node: 'alive', ttlMs: 5000 })
    await dead.heartbeat()
    await alive.heartbeat()
    expect(await dead.enter(t, 2)).toBe(true)
    expect(await alive.enter(t, 2)).toBe(true)
    expect(await alive.enter(t, 2)).toBe(false)
    await new Promise((r) => setTimeout(r, 300)) // `dead` stops heartbeating
    expect(await alive.enter(t, 2)).toBe(true)
    await alive.exit(t)
    await alive.close()
  })
})
