import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { request, type IncomingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startBroker, type Broker } from '@kibitz/broker'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  REPO_ROOT,
  buildSite,
  collectDocs,
  firstHeading,
  renderMarkdown,
  resolveWidgetJs,
} from '../scripts/build.mjs'

/** The site built from this checkout's sources with the fake widget, served by the real broker. */

const FAKE_WIDGET = join(dirname(fileURLToPath(import.meta.url)), 'testing', 'fake-widget.js')
const PAGES = ['index.html', 'room.html', 'embed.html', 'embed-spa.html']

interface Reply {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** Raw request with the exact path on the wire (fetch would normalize `..`). */
function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString('utf8')))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  )
}

let tmp: string
let outDir: string
let files: string[]
let warnings: string[]
let broker: Broker

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'kibitz-site-'))
  outDir = join(tmp, 'dist')
  writeFileSync(join(tmp, 'secret.txt'), 'TOP SECRET')
  ;({ files, warnings } = buildSite({ outDir, widgetJs: FAKE_WIDGET }))
  broker = await startBroker({ port: 0, host: '127.0.0.1', staticDir: outDir })
})

afterAll(async () => {
  await broker?.close()
  rmSync(tmp, { recursive: true, force: true })
})

describe('build', () => {
  it('writes the pages, the assets, widget.js and the docs', () => {
    expect(files).toEqual([...files].sort())
    expect(files).toEqual(expect.arrayContaining([...PAGES, 'widget.js', 'assets/site.css']))
    expect(files.filter((f) => f.endsWith('.css'))).toEqual(['assets/site.css'])
    expect(readFileSync(join(outDir, 'widget.js'), 'utf8')).toBe(readFileSync(FAKE_WIDGET, 'utf8'))
    expect(walk(outDir).sort()).toEqual(files)
    expect(warnings).toEqual([])
  })

  it('renders every docs/*.md and the README of every published package, not private ones', () => {
    const docs = readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md'))
    expect(docs.length).toBeGreaterThan(0)
    for (const md of docs) expect(files).toContain(`docs/${md.replace(/\.md$/, '.html')}`)
    for (const dir of readdirSync(join(REPO_ROOT, 'packages'))) {
      const pj = join(REPO_ROOT, 'packages', dir, 'package.json')
      if (!existsSync(pj)) continue
      const pkg = JSON.parse(readFileSync(pj, 'utf8')) as { private?: boolean }
      const readme = existsSync(join(REPO_ROOT, 'packages', dir, 'README.md'))
      expect(files.includes(`docs/packages/${dir}.html`)).toBe(readme && pkg.private !== true)
    }
    expect(files).not.toContain('docs/packages/test-utils.html')
  })

  it('is deterministic', () => {
    const again = join(tmp, 'again')
    const second = buildSite({ outDir: again, widgetJs: FAKE_WIDGET })
    expect(second.files).toEqual(files)
    for (const f of files) {
      expect(readFileSync(join(again, f)).equals(readFileSync(join(outDir, f))), f).toBe(true)
    }
  })

  it('cleans the output directory first', () => {
    const dir = join(tmp, 'stale')
    buildSite({ outDir: dir, widgetJs: FAKE_WIDGET })
    writeFileSync(join(dir, 'leftover.html'), 'old')
    buildSite({ outDir: dir, widgetJs: FAKE_WIDGET })
    expect(existsSync(join(dir, 'leftover.html'))).toBe(false)
  })

  it('refuses to clean a directory that holds the sources', () => {
    expect(() => buildSite({ outDir: REPO_ROOT, widgetJs: FAKE_WIDGET })).toThrow(/refusing/)
    expect(existsSync(join(REPO_ROOT, 'package.json'))).toBe(true)
  })

  it('a missing widget.js is a clear error that names the build command', () => {
    expect(() => buildSite({ outDir: join(tmp, 'x'), widgetJs: join(tmp, 'nope.js') })).toThrow(
      /turbo run build --filter=@kibitz\/widget/,
    )
    expect(() => resolveWidgetJs({ KIBITZ_WIDGET_JS: join(tmp, 'nope.js') })).toThrow(
      /KIBITZ_WIDGET_JS=.*no such file/,
    )
    expect(resolveWidgetJs({ KIBITZ_WIDGET_JS: FAKE_WIDGET })).toBe(FAKE_WIDGET)
  })

  it('markdown: heading ids, relative links rewritten, unknown targets kept as text', () => {
    const html = renderMarkdown(
      '# Title\n\n## A `code` part\n\n## A code part\n\nSee [p](protocol.md#x), [w](https://x.test/a.md), [s](src/x.ts).',
      (href: string) =>
        href.startsWith('https:')
          ? undefined
          : href.startsWith('protocol.md')
            ? href.replace('.md', '.html')
            : null,
    )
    expect(html).toContain('<h1 id="title">Title</h1>')
    expect(html).toContain('<h2 id="a-code-part">A <code>code</code> part</h2>')
    expect(html).toContain('<h2 id="a-code-part-1">')
    expect(html).toContain('<a href="protocol.html#x">p</a>')
    expect(html).toContain('<a href="https://x.test/a.md">w</a>')
    expect(html).toContain('<span class="repo-path">s</span>')
    expect(firstHeading('intro\n\n## The `x` [link](y.md)\n# Later', 'f')).toBe('The x link')
    expect(firstHeading('no heading', 'fallback')).toBe('fallback')
  })
})

describe('served by the broker', () => {
  it.each(PAGES)('%s is HTML with the shared chrome and a phone viewport', async (page) => {
    const res = await get(broker.port, `/${page}`)
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.body).toMatch(/^<!doctype html>/)
    expect(res.body).toContain(
      '<meta name="viewport" content="width=device-width, initial-scale=1"',
    )
    expect(res.body).toContain('href="assets/site.css"')
    expect(res.body).toContain('<main id="main">')
  })

  it('/ is the landing page, and the status page moved to /status', async () => {
    const home = await get(broker.port, '/')
    expect(home.status).toBe(200)
    expect(home.body).toContain('id="start-call"')
    expect(home.body).toContain('href="embed.html"')
    expect(home.body).toContain('href="embed-spa.html"')
    expect(home.body).toContain('href="docs/"')
    const status = await get(broker.port, '/status')
    expect(status.status).toBe(200)
    expect(status.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(status.body).toContain('Kibitz broker')
    expect(JSON.parse((await get(broker.port, '/healthz')).body)).toMatchObject({ ok: true })
  })

  it('marks the current page in the site navigation', async () => {
    const current = (body: string) =>
      [...body.matchAll(/<a href="([^"]*)" aria-current="page">/g)].map((m) => m[1])
    expect(current((await get(broker.port, '/room.html')).body)).toEqual(['room.html'])
    expect(current((await get(broker.port, '/embed.html')).body)).toEqual(['embed.html'])
    expect(current((await get(broker.port, '/embed-spa.html')).body)).toEqual(['embed-spa.html'])
    expect(current((await get(broker.port, '/docs/')).body)).toEqual(['../docs/'])
    expect(current((await get(broker.port, '/')).body)).toEqual([])
  })

  it('/widget.js is JavaScript that pages on other origins may load', async () => {
    const res = await get(broker.port, '/widget.js', { Origin: 'http://elsewhere.test' })
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['access-control-allow-origin']).toBe('*')
    expect(res.body).toContain('window.Kibitz')
  })

  it('a page on another origin can signal to the broker and ask it for ICE servers', async () => {
    const origin = { Origin: 'http://elsewhere.test' }
    const handshake = await get(broker.port, '/socket.io/?EIO=4&transport=polling', origin)
    expect(handshake.status).toBe(200)
    expect(handshake.headers['access-control-allow-origin']).toMatch(
      /^(\*|http:\/\/elsewhere\.test)$/,
    )
    expect(handshake.body).toContain('"sid"')
    const turn = await get(broker.port, '/api/turn', origin)
    expect(turn.status).toBe(200)
    expect(turn.headers['access-control-allow-origin']).toBe('*')
  })

  it('embed.html: the script tag is the whole integration, and the one-liner is shown escaped', async () => {
    const { body } = await get(broker.port, '/embed.html')
    expect(body).toContain(
      '<code id="snippet">&lt;script src="/widget.js" data-room="embed-demo"&gt;&lt;/script&gt;</code>',
    )
    expect(body).toContain("tag.src = '/widget.js'")
    expect(body).toContain("get('room') || 'embed-demo'")
    expect(body).not.toMatch(/<script src="[^"]*widget\.js"/)
  })

  it('embed-spa.html: four hash routes, a route readout and the follow-me snippet', async () => {
    const { body } = await get(broker.port, '/embed-spa.html')
    const tabs = [...body.matchAll(/<li><a href="(#\/[a-z]+)">/g)].map((m) => m[1])
    expect(tabs).toEqual(['#/home', '#/features', '#/pricing', '#/about'])
    for (const t of tabs) expect(body).toContain(`data-route="${t}"`)
    expect(body).toContain('data-testid="route"')
    const spa = (await get(broker.port, '/assets/spa.js')).body
    expect(spa).toContain('const call = Kibitz.mount({ room })')
    expect(spa).toContain('let applyingRemote = false')
    expect(spa).toContain('location.hash === data.route')
    expect(spa).toContain("|| 'spa-demo'")
  })

  it('the docs index lists every docs/*.md by its first heading, and every package', async () => {
    const res = await get(broker.port, '/docs/')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    const { docs, packages } = collectDocs(REPO_ROOT)
    const guides = docs.filter((d: { kind: string }) => d.kind === 'guide')
    expect(guides.length).toBe(
      readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md')).length,
    )
    for (const d of guides) {
      const md = readFileSync(join(REPO_ROOT, d.source), 'utf8')
      const title = firstHeading(md, d.source).replace(/&/g, '&amp;').replace(/'/g, '&#39;')
      expect(res.body).toContain(`<a href="${posix.basename(d.out)}">${title}</a>`)
    }
    for (const p of packages) {
      expect(res.body).toContain(`<a href="packages/${p.dir}.html"><code>${p.name}</code></a>`)
    }
  })

  it('a rendered doc has its headings (with ids) and rewritten relative links', async () => {
    const arch = await get(broker.port, '/docs/architecture.html')
    expect(arch.status).toBe(200)
    expect(arch.body).toMatch(/<h1 id="[a-z0-9-]+">Architecture<\/h1>/)
    expect(arch.body).toMatch(/<h2 id="[a-z0-9-]+">/)
    expect(arch.body).toContain('<a href="protocol.html">')
    expect(arch.body).toContain('href="../assets/site.css"')
    const protocolReadme = (await get(broker.port, '/docs/packages/protocol.html')).body
    expect(protocolReadme).toContain('<a href="protocol/spec.html">')
    expect(protocolReadme).toContain('<a href="../protocol.html">')
    expect(protocolReadme).toContain('href="../../assets/site.css"')
  })

  it('no page links to a .md file or to anything the site does not have', async () => {
    for (const page of files.filter((f) => f.endsWith('.html'))) {
      // Inline scripts hold template strings, not links.
      const body = readFileSync(join(outDir, page), 'utf8').replace(
        /<script>[\s\S]*?<\/script>/g,
        '',
      )
      const refs = [...body.matchAll(/<[a-z]+\b[^>]*?\s(?:href|src)="([^"]+)"/g)].map(
        (m) => m[1] ?? '',
      )
      for (const ref of refs) {
        if (/^([a-z]+:|#|\/)/.test(ref)) continue
        expect(ref, `${page}: ${ref}`).not.toMatch(/\.md(#|$)/)
        const target = posix.join(posix.dirname(page), ref.replace(/[?#].*$/, ''))
        const file =
          target.endsWith('/') || target === '.' ? posix.join(target, 'index.html') : target
        expect(files, `${page} links to ${ref}`).toContain(posix.normalize(file))
      }
    }
  })

  it.each([
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/docs/../../secret.txt',
    '/docs/%2e%2e/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/..%5csecret.txt',
    '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
  ])('path traversal is refused: %s', async (path) => {
    const res = await get(broker.port, path)
    expect(res.status).toBe(404)
    expect(res.body).not.toContain('TOP SECRET')
    expect(res.body).not.toContain('root:')
  })
})
