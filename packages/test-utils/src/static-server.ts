import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname } from 'node:path'

/** A served file: its body, with the content type guessed from the extension unless given. */
export type StaticFile = string | Uint8Array | { body: string | Uint8Array; type?: string }

export interface StaticServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). A potentially trustworthy origin, so pages
   * get a secure context (WebCrypto, WebRTC) without TLS. */
  url: string
  port: number
  /** Stop listening and drop open (keep-alive) connections. Idempotent. */
  close(): Promise<void>
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
}

/** The content type for a path, by extension (`application/octet-stream` when unknown). */
export function contentTypeOf(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'
}

/**
 * Serve `files` (keyed by URL path, e.g. `/index.html`; the leading slash is optional) from
 * 127.0.0.1 on a port the OS picks (listen on 0: no bind race). `/` serves `/index.html`.
 * GET/HEAD only; anything else is a 404 or 405 (`/favicon.ico`, unless given: an empty 204).
 * Nothing is cached by the browser.
 */
export async function serveStatic(files: Record<string, StaticFile>): Promise<StaticServer> {
  const table = new Map<string, { body: string | Uint8Array; type: string }>()
  for (const [key, file] of Object.entries(files)) {
    const path = key.startsWith('/') ? key : `/${key}`
    const entry = typeof file === 'string' || file instanceof Uint8Array ? { body: file } : file
    table.set(path, { body: entry.body, type: entry.type ?? contentTypeOf(path) })
  }
  const server = createServer((req, res) => {
    let path = (req.url ?? '/').split('?')[0] ?? '/'
    try {
      path = decodeURIComponent(path)
    } catch {
      // keep it raw: it will not match and gets a 404
    }
    if (path === '/') path = '/index.html'
    const file = table.get(path)
    if (!file && path === '/favicon.ico') {
      // Every page asks for one; a 404 would print as a console error in every test.
      res.writeHead(204).end()
      return
    }
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end()
      return
    }
    res.writeHead(200, {
      'content-type': file.type,
      'content-length': Buffer.byteLength(file.body),
      'cache-control': 'no-store',
    })
    res.end(req.method === 'HEAD' ? undefined : file.body)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  let closing: Promise<void> | null = null
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  }
}
