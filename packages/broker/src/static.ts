import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, resolve, sep } from 'node:path'

/**
 * Serve files from one directory (the demo site and widget.js), GET and HEAD only. A request path is
 * percent-decoded once, must not contain NUL or backslashes, is resolved against the root, and the
 * file's *real* path (symlinks followed) must stay inside the root's real path — so neither `..`,
 * encoded `..`, absolute paths nor a symlink can escape. Directories serve their `index.html`.
 */

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
}

/**
 * Static files are public and nothing depends on cookies, so any origin may use them: a page on
 * another site can load `widget.js` with `crossorigin` (e.g. for Subresource Integrity), and a
 * cross-origin-isolated page (COEP `require-corp`) can load it at all.
 */
export const CROSS_ORIGIN_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Cross-Origin-Resource-Policy': 'cross-origin',
}

export function contentTypeFor(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'
}

/** The real path of the file a URL path names inside `root`, or null (missing, escaping, unsafe). */
export async function resolveStaticFile(root: string, urlPath: string): Promise<string | null> {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath)
  } catch {
    return null
  }
  if (decoded.includes('\0') || decoded.includes('\\') || !decoded.startsWith('/')) return null
  try {
    const realRoot = await realpath(root)
    let candidate = resolve(realRoot, '.' + decoded)
    if (candidate !== realRoot && !candidate.startsWith(realRoot + sep)) return null
    let info = await stat(candidate)
    if (info.isDirectory()) {
      candidate = resolve(candidate, 'index.html')
      info = await stat(candidate)
    }
    if (!info.isFile()) return null
    const real = await realpath(candidate)
    if (!real.startsWith(realRoot + sep)) return null
    return real
  } catch {
    return null
  }
}

/** Stream a resolved file; HEAD gets the headers only. Read errors after the headers reset the socket. */
export function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: string,
  size: number,
): void {
  res.writeHead(200, {
    'Content-Type': contentTypeFor(file),
    'Content-Length': size,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache',
    ...CROSS_ORIGIN_HEADERS,
  })
  if (req.method === 'HEAD') {
    res.end()
    return
  }
  const stream = createReadStream(file)
  stream.on('error', () => res.destroy())
  res.on('close', () => stream.destroy())
  stream.pipe(res)
}

/** Look up and serve `urlPath` from `root`; false when there is no such file (caller falls through). */
export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  root: string,
  urlPath: string,
): Promise<boolean> {
  const file = await resolveStaticFile(root, urlPath)
  if (file === null) return false
  let size: number
  try {
    size = (await stat(file)).size
  } catch {
    return false
  }
  sendFile(req, res, file, size)
  return true
}
