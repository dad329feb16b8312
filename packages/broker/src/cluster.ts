import { createAdapter } from '@socket.io/redis-adapter'
import { ErrorCode, KibitzError } from '@kibitz/protocol'
import { Redis } from 'ioredis'
import { createRedisClaimStore, type ClaimStore } from './claims.js'
import { createRedisOccupancy, type Occupancy } from './occupancy.js'

/**
 * Redis mode: the socket.io Redis (pub/sub) adapter routes broadcasts between broker processes;
 * claims and room occupancy live in Redis. One command connection (also the adapter's publisher)
 * and one subscriber connection per node.
 */
export interface Cluster {
  adapter: ReturnType<typeof createAdapter>
  claims: ClaimStore
  occupancy: Occupancy
  quit(): Promise<void>
}

const CONNECT_TIMEOUT_MS = 5_000

/** `redis://user:secret@host` → `redis://user:***@host` for error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(unparseable url)'
  }
}

export async function connectCluster(
  url: string,
  opts: { node: string; ttlMs: number },
): Promise<Cluster> {
  const options = { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: CONNECT_TIMEOUT_MS }
  const pub = new Redis(url, options)
  const sub = new Redis(url, options)
  // ioredis reconnects on its own; errors surface as failed commands (answered INTERNAL).
  pub.on('error', () => {})
  sub.on('error', () => {})
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      Promise.all([pub.connect(), sub.connect()]),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS} ms`)),
          CONNECT_TIMEOUT_MS,
        )
      }),
    ])
    await pub.ping()
  } catch (error) {
    pub.disconnect()
    sub.disconnect()
    const why = error instanceof Error ? error.message : String(error)
    throw new KibitzError(ErrorCode.INTERNAL, `cannot reach redis at ${redactUrl(url)}: ${why}`, {
      cause: error,
    })
  } finally {
    clearTimeout(timer)
  }
  const claims = createRedisClaimStore(pub, opts)
  const occupancy = createRedisOccupancy(pub, opts)
  await occupancy.heartbeat()
  return {
    adapter: createAdapter(pub, sub, { key: 'kibitz.io' }),
    claims,
    occupancy,
    async quit() {
      await Promise.allSettled([pub.quit(), sub.quit()])
      pub.disconnect()
      sub.disconnect()
    },
  }
}
