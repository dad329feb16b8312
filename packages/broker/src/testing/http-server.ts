import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHttpHandler } from '../http.js'
import type { HttpOptions, HttpTuning } from '../http.js'

/** Test helper: the HTTP handler alone on 127.0.0.1 with an ephemeral port. */
export interface HttpTestServer {
  url: string
  port: number
  close: () => Promise<void>
}

export function baseHttpOptions(overrides: Partial<HttpOptions> = {}): HttpOptions {
  return {
    turn: { urls: [], ttlSeconds: 3600 },
    licenseKeys: [],
    grantTtlSeconds: 600,
    metrics: () =>
      '# HELP kibitz_sockets Connected sockets\n# TYPE kibitz_sockets gauge\nkibitz_sockets 3\n',
    health: () => ({ sockets: 3, tags: 1 }),
    ...overrides,
  }
}

export async function startHttpServer(
  opts: HttpOptions,
  tuning?: HttpTuning,
): Promise<HttpTestServer> {
  const server = createServer(createHttpHandler(opts, tuning))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
