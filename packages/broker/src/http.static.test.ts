import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { request, type IncomingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { baseHttpOptions, startHttpServer } from './testing/http-server.js'
import type { HttpTestServer } from './testing/http-server.js'

/** Raw GET/HEAD with the exact path on the wire (fetch would normalize `..`). */
function get(
  port: number,
  path: string,
  method = 'GET',
): Promise<{ status: number; type?: string; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString('utf8')))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers['content-type'],
          body,
          headers: res.headers,
        }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

describe('static files (staticDir)', () => {
  let dir: string
  let site: HttpTestServer
  let bare: HttpTestServer

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kibitz-static-'))
    const root = join(dir, 'site')
    mkdirSync(join(root, 'docs'), { recursive: true })
    mkdirSync(join(dir, 'site-evil'))
    writeFileSync(join(root, 'index.html'), '<h1>demo</h1>')
    writeFileSync(join(root, 'app.js'), 'console.log(1)')
    writeFileSync(join(root, 'style.css'), 'body{}')
    writeFileSync(join(root, 'data.json'), '{}')
    writeFileSync(join(root, 'logo.svg'), '<svg/>')
    writeFileSync(join(root, 'blob.bin'), 'x')
    writeFileSync(join(root, 'docs', 'index.html'), '<h1>docs</h1>')
    writeFileSync(join(dir, 'secret.txt'), 'TOP SECRET')
    writeFileSync(join(dir, 'site-evil', 'x.txt'), 'TOP SECRET')
    symlinkSync(join(dir, 'secret.txt'), join(root, 'link.txt'))
    symlinkSync(dir, join(root, 'up'))
    site = await startHttpServer(baseHttpOptions({ staticDir: root }))
    // A static dir without index.html: `/` falls back to the status page.
    const empty = join(dir, 'empty')
    mkdirSync(empty)
    writeFileSync(join(empty, 'a.txt'), 'a')
    bare = await startHttpServer(baseHttpOptions({ staticDir: empty }))
  })

  afterAll(async () => {
    await site.close()
    await bare.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves index.html at / and in directories, with content types', async () => {
    expect(await get(site.port, '/')).toMatchObject({
      status: 200,
      type: 'text/html; charset=utf-8',
      body: '<h1>demo</h1>',
    })
    expect((await get(site.port, '/docs/')).body).toBe('<h1>docs</h1>')
    expect((await get(site.port, '/docs')).body).toBe('<h1>docs</h1>')
    expect((await get(site.port, '/index.html?x=1')).body).toBe('<h1>demo</h1>')
    expect((await get(site.port, '/app.js')).type).toBe('text/javascript; charset=utf-8')
    expect((await get(site.port, '/style.css')).type).toBe('text/css; charset=utf-8')
    expect((await get(site.port, '/data.json')).type).toBe('application/json; charset=utf-8')
    expect((await get(site.port, '/logo.svg')).type).toBe('image/svg+xml')
    expect((await get(site.port, '/blob.bin')).type).toBe('application/octet-stream')
    expect((await get(site.port, '/%61pp.js')).body).toBe('console.log(1)')
  })

  it('serves scripts to pages on any origin (crossorigin/SRI, COEP require-corp)', async () => {
    const res = await get(site.port, '/app.js')
    expect(res.type).toBe('text/javascript; charset=utf-8')
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['access-control-allow-origin']).toBe('*')
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin')
  })

  it('keeps the status page at /status when index.html takes /', async () => {
    const res = await get(site.port, '/status')
    expect(res.status).toBe(200)
    expect(res.type).toBe('text/html; charset=utf-8')
    expect(res.body).toContain('Kibitz broker')
    expect((await get(site.port, '/status', 'HEAD')).body).toBe('')
    expect((await get(bare.port, '/status')).body).toContain('Kibitz broker')
    const post = await get(site.port, '/status', 'POST')
    expect(post.status).toBe(405)
    expect(post.headers.allow).toBe('GET, HEAD')
  })

  it('HEAD gets headers only', async () => {
    const res = await get(site.port, '/app.js', 'HEAD')
    expect(res.status).toBe(200)
    expect(res.body).toBe('')
  })

  it('API routes win over files', async () => {
    expect((await get(site.port, '/healthz')).type).toMatch(/^application\/json/)
  })

  it.each([
    '/../secret.txt',
    '/../../../../etc/passwd',
    '/%2e%2e/secret.txt',
    '/%2E%2E%2Fsecret.txt',
    '/..%2fsecret.txt',
    '/docs/../../secret.txt',
    '/docs/%2e%2e/%2e%2e/secret.txt',
    '/..%5csecret.txt',
    '/%5c..%5csecret.txt',
    '/..\\secret.txt',
    '/../site-evil/x.txt',
    '/%2e%2e/site-evil/x.txt',
    '/link.txt',
    '/up/secret.txt',
    '/secret.txt%00.html',
    '/%00',
    '/%E0%A4%A',
    '//etc/passwd',
    '/etc/passwd',
    '/nope.html',
  ])('never escapes the root or serves a missing file: %s', async (path) => {
    const res = await get(site.port, path)
    expect(res.body).not.toContain('TOP SECRET')
    expect(res.body).not.toContain('root:')
    expect(res.status).toBe(404)
  })

  it('falls back to the status page at / when there is no index.html', async () => {
    const res = await get(bare.port, '/')
    expect(res.status).toBe(200)
    expect(res.body).toContain('Kibitz broker')
    expect((await get(bare.port, '/a.txt')).body).toBe('a')
  })

  it('POST to a static path is not served', async () => {
    expect((await get(site.port, '/app.js', 'POST')).status).toBe(404)
  })
})
