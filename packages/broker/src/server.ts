import { randomBytes } from 'node:crypto'
import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ErrorCode, KibitzError, brokerParser } from '@kibitz/protocol'
import { Server } from 'socket.io'
import { createMemoryClaimStore } from './claims.js'
import { connectCluster, type Cluster } from './cluster.js'
import { DEFAULT_CONFIG, type BrokerConfig } from './config.js'
import { createHttpHandler } from './http.js'
import { BrokerMetrics } from './metrics.js'
import { createMemoryOccupancy } from './occupancy.js'
import { createSocketPlane } from './plane.js'

/**
 * Hard cap on one engine.io message. Frames above the 64 KiB payload limit but below this cap get
 * a typed TOO_LARGE reply; only messages beyond it close the transport (B12).
 */
export const HARD_MESSAGE_CAP_BYTES = 256 * 1024

export interface Broker {
  /** `http://host:port` — socket.io and HTTP share it. */
  url: string
  port: number
  host: string
  mode: 'memory' | 'redis'
  /** Random id of this process among the nodes of a Redis deployment. */
  node: string
  config: BrokerConfig
  io: Server
  httpServer: HttpServer
  metrics: BrokerMetrics
  /** Disconnect every socket, release its claims, stop timers, close the port and Redis. */
  close(): Promise<void>
}

function withDefaults(partial: Partial<BrokerConfig>): BrokerConfig {
  const config: BrokerConfig = { ...DEFAULT_CONFIG, turnUrls: [], licenseKeys: [] }
  for (const [k, v] of Object.entries(partial)) {
    if (v !== undefined) (config as unknown as Record<string, unknown>)[k] = v
  }
  return config
}

function formatUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}

/** Start a broker: memory mode by default, several processes as one with `redis`. */
export async function startBroker(partial: Partial<BrokerConfig> = {}): Promise<Broker> {
  const config = withDefaults(partial)
  const node = randomBytes(6).toString('base64url')
  const startedAt = Date.now()
  const cluster: Cluster | null = config.redis
    ? await connectCluster(config.redis, { node, ttlMs: config.claimTtlMs })
    : null
  const mode = cluster ? 'redis' : 'memory'

  // Gauges read the plane, which needs the io server, which needs the http handler: late-bound.
  let gauges = { sockets: () => 0, tags: () => 0 }
  const metrics = new BrokerMetrics({ sockets: () => gauges.sockets(), tags: () => gauges.tags() })

  const handler = createHttpHandler({
    turn: { secret: config.turnSecret, urls: config.turnUrls, ttlSeconds: config.turnTtlSeconds },
    licenseKeys: config.licenseKeys,
    grantSecret: config.grantSecret,
    grantTtlSeconds: config.grantTtlSeconds,
    metrics: () => metrics.render(),
    health: () => ({
      ok: true,
      mode,
      node,
      sockets: gauges.sockets(),
      tags: gauges.tags(),
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    }),
    staticDir: config.staticDir,
  })
  const httpServer = createServer(handler)
  const io = new Server(httpServer, {
    perMessageDeflate: false,
    httpCompression: false,
    maxHttpBufferSize: HARD_MESSAGE_CAP_BYTES,
    serveClient: false,
    cors: { origin: '*' },
    // One binary WebSocket message per packet (protocol broker-codec.ts); clients must match.
    parser: brokerParser,
  })
  if (cluster) io.adapter(cluster.adapter)

  const plane = createSocketPlane({
    io,
    claims: cluster?.claims ?? createMemoryClaimStore(),
    occupancy: cluster?.occupancy ?? createMemoryOccupancy(),
    metrics,
    limits: config,
    clustered: cluster !== null,
  })
  gauges = { sockets: plane.localSockets, tags: plane.localTags }

  const timers: NodeJS.Timeout[] = []
  if (cluster) {
    const swallow = (p: Promise<void>) => void p.catch(() => metrics.handlerErrors++)
    timers.push(
      setInterval(
        () => swallow(plane.refreshClaims()),
        Math.max(100, Math.floor(config.claimTtlMs / 3)),
      ),
    )
    timers.push(
      setInterval(
        () => swallow(plane.watchClaims()),
        Math.max(100, Math.floor(config.claimTtlMs / 5)),
      ),
    )
    for (const t of timers) t.unref()
  }

  try {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject)
      httpServer.listen(config.port, config.host, () => {
        httpServer.off('error', reject)
        resolve()
      })
    })
  } catch (error) {
    for (const t of timers) clearInterval(t)
    io.close()
    await cluster?.quit()
    const why = error instanceof Error ? error.message : String(error)
    throw new KibitzError(
      ErrorCode.INTERNAL,
      `cannot listen on ${formatUrl(config.host, config.port)}: ${why}`,
      {
        cause: error,
      },
    )
  }
  const port = (httpServer.address() as AddressInfo).port

  let closing: Promise<void> | null = null
  return {
    url: formatUrl(config.host, port),
    port,
    host: config.host,
    mode,
    node,
    config,
    io,
    httpServer,
    metrics,
    close() {
      closing ??= (async () => {
        for (const t of timers) clearInterval(t)
        await plane.shutdown()
        if (cluster) await Promise.allSettled([cluster.occupancy.close(), cluster.claims.close()])
        await new Promise<void>((resolve) => {
          void io.close(() => resolve())
          httpServer.closeAllConnections()
        })
        await cluster?.quit()
      })()
      return closing
    },
  }
}
