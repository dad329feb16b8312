#!/usr/bin/env node
// Builds the demo site that `npm start` serves: apps/site/src → apps/site/dist (see README.md).
//   pages     src/pages/*.html, wrapped in src/layout.html
//   assets    src/assets/* → dist/assets/
//   docs      docs/*.md and the README (plus other top-level *.md) of every published package,
//             rendered with marked → dist/docs/
//   widget    packages/widget/dist/widget.js (or $KIBITZ_WIDGET_JS) → dist/widget.js
// Plain files, no bundler; the output is deterministic and dist is cleaned first.
// Usage: node scripts/build.mjs [outDir]     or import { buildSite } from this file.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, posix, relative, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Marked } from 'marked'

export const SITE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const REPO_ROOT = resolve(SITE_DIR, '../..')
const SRC = join(SITE_DIR, 'src')

const WIDGET_BUILD_HINT =
  'build it with `pnpm exec turbo run build --filter=@kibitz/widget` (`npm start` builds it for ' +
  'you), or point KIBITZ_WIDGET_JS at a widget.js'

/**
 * The widget bundle to ship: `$KIBITZ_WIDGET_JS`, else @kibitz/widget's dist/widget.js.
 * @param {Record<string, string | undefined>} [env]
 */
export function resolveWidgetJs(env = process.env) {
  if (env.KIBITZ_WIDGET_JS) {
    const file = resolve(env.KIBITZ_WIDGET_JS)
    if (!existsSync(file)) throw new Error(`KIBITZ_WIDGET_JS=${file}: no such file`)
    return file
  }
  let pkgDir
  try {
    const require = createRequire(join(SITE_DIR, 'package.json'))
    pkgDir = dirname(require.resolve('@kibitz/widget/package.json'))
  } catch {
    pkgDir = join(REPO_ROOT, 'packages', 'widget')
  }
  const file = join(pkgDir, 'dist', 'widget.js')
  if (!existsSync(file)) {
    throw new Error(`${relative(REPO_ROOT, file)} is missing: ${WIDGET_BUILD_HINT}`)
  }
  return file
}

export const escapeHtml = (s) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  )

/** `<!-- key: value … -->` at the top of a page source, then the page body. */
export function parsePage(text) {
  const m = /^<!--\n([\s\S]*?)\n-->\n/.exec(text)
  if (!m) throw new Error('page source must start with a <!-- key: value --> header')
  const meta = {}
  for (const line of m[1].split('\n')) {
    const i = line.indexOf(':')
    if (i > 0) meta[line.slice(0, i).trim()] = line.slice(i + 1).trim()
  }
  return { meta, body: text.slice(m[0].length) }
}

/** Fill src/layout.html. `base` is the relative path from the page to the site root. */
function renderLayout(layout, { title, description, page, nav, base, content, scripts = [] }) {
  const tags = scripts.map((s) =>
    s === 'widget'
      ? `    <script src="${base}widget.js"></script>`
      : `    <script type="module" src="${base}assets/${s}"></script>`,
  )
  const values = {
    title: escapeHtml(title),
    description: escapeHtml(description ?? ''),
    page,
    base,
    home: base === '' ? './' : base,
    content: `\n${content.trim()}\n`,
    scripts: tags.join('\n'),
  }
  return layout
    .replace(/\{\{current:([a-z-]+)\}\}/g, (_, name) => (name === nav ? 'page' : 'false'))
    .replace(/ aria-current="false"/g, '')
    .replace(/\{\{([a-z]+)\}\}/g, (whole, key) => (key in values ? values[key] : whole))
}

/** The plain text of a heading's inline markdown (for titles and ids). */
function plainText(markdown) {
  return markdown
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*_~]/g, '')
    .replace(/<[^>]+>/g, '')
    .trim()
}

/**
 * The first heading of a markdown document, as plain text.
 * @param {string} markdown
 * @param {string} fallback
 */
export function firstHeading(markdown, fallback) {
  const m = /^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$/m.exec(markdown)
  return m ? plainText(m[1]) : fallback
}

function slugify(text) {
  const slug = text
    .toLowerCase()
    .replace(/&[a-z]+;|&#\d+;/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s/g, '-')
  return slug || 'section'
}

/**
 * Markdown → HTML with GitHub-style heading ids. `resolveLink(href)` returns a replacement href,
 * `undefined` to keep the link as written, or `null` to drop the link and keep its text.
 * HTML in the markdown passes through: these are the repository's own, trusted docs.
 * @param {string} markdown
 * @param {(href: string) => string | null | undefined} [resolveLink]
 * @returns {string}
 */
export function renderMarkdown(markdown, resolveLink = () => undefined) {
  const seen = new Map()
  const marked = new Marked({
    gfm: true,
    async: false,
    renderer: {
      heading({ tokens, depth }) {
        const inner = this.parser.parseInline(tokens)
        const base = slugify(plainText(inner))
        const n = seen.get(base) ?? 0
        seen.set(base, n + 1)
        const id = n === 0 ? base : `${base}-${n}`
        return `<h${depth} id="${id}">${inner}</h${depth}>\n`
      },
      link(token) {
        const href = resolveLink(token.href)
        if (href === undefined) return false
        if (href === null)
          return `<span class="repo-path">${this.parser.parseInline(token.tokens)}</span>`
        token.href = href
        return false
      },
    },
  })
  return marked.parse(markdown)
}

const isExternal = (href) =>
  href === '' || href.startsWith('#') || href.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(href)

/** Relative href from one output file to another (both relative to the site root). */
function hrefBetween(fromFile, toFile) {
  const rel = posix.relative(posix.dirname(fromFile), toFile)
  return rel === '' ? posix.basename(toFile) : rel
}

/** Every markdown document the docs section renders, with where it comes from and goes to. */
export function collectDocs(repoRoot = REPO_ROOT) {
  const docs = []
  const docsDir = join(repoRoot, 'docs')
  if (existsSync(docsDir)) {
    for (const name of readdirSync(docsDir).sort()) {
      if (!name.endsWith('.md') || !statSync(join(docsDir, name)).isFile()) continue
      const stem = name.slice(0, -3)
      docs.push({ kind: 'guide', source: `docs/${name}`, out: `docs/${stem}.html` })
    }
  }
  const pkgsDir = join(repoRoot, 'packages')
  const packages = []
  for (const dir of existsSync(pkgsDir) ? readdirSync(pkgsDir).sort() : []) {
    const pj = join(pkgsDir, dir, 'package.json')
    if (!existsSync(pj)) continue
    const pkg = JSON.parse(readFileSync(pj, 'utf8'))
    if (pkg.private === true || !existsSync(join(pkgsDir, dir, 'README.md'))) continue
    const entry = { dir, name: pkg.name, description: pkg.description ?? '', extras: [] }
    packages.push(entry)
    docs.push({
      kind: 'package',
      pkg: entry,
      source: `packages/${dir}/README.md`,
      out: `docs/packages/${dir}.html`,
    })
    for (const name of readdirSync(join(pkgsDir, dir)).sort()) {
      if (!name.endsWith('.md') || name === 'README.md' || name === 'CHANGELOG.md') continue
      const extra = {
        kind: 'package-doc',
        pkg: entry,
        source: `packages/${dir}/${name}`,
        out: `docs/packages/${dir}/${name.slice(0, -3).toLowerCase()}.html`,
      }
      entry.extras.push(extra)
      docs.push(extra)
    }
  }
  return { docs, packages }
}

/**
 * Build the site into `outDir` (cleaned first). Returns the files written (sorted, relative to
 * outDir) and warnings (e.g. a doc link to a file the site does not render, kept as plain text).
 * @param {{ outDir?: string, widgetJs?: string, repoRoot?: string }} [options]
 * @returns {{ outDir: string, files: string[], warnings: string[] }}
 */
export function buildSite({
  outDir = join(SITE_DIR, 'dist'),
  widgetJs,
  repoRoot = REPO_ROOT,
} = {}) {
  const widget = widgetJs ? resolve(widgetJs) : resolveWidgetJs()
  if (!existsSync(widget)) throw new Error(`${widget} is missing: ${WIDGET_BUILD_HINT}`)
  const out = resolve(outDir)
  for (const keep of [repoRoot, SITE_DIR, SRC, resolve('/')]) {
    if (keep === out || keep.startsWith(out + sep)) {
      throw new Error(`refusing to clean ${out}: it contains ${keep}`)
    }
  }
  rmSync(out, { recursive: true, force: true })

  const files = []
  const warnings = []
  const emit = (rel, content) => {
    const file = join(out, ...rel.split('/'))
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, content)
    files.push(rel)
  }
  const baseOf = (rel) => '../'.repeat(rel.split('/').length - 1)
  const layout = readFileSync(join(SRC, 'layout.html'), 'utf8')

  // Pages.
  for (const name of readdirSync(join(SRC, 'pages')).sort()) {
    if (!name.endsWith('.html')) continue
    const { meta, body } = parsePage(readFileSync(join(SRC, 'pages', name), 'utf8'))
    const scripts = (meta.scripts ?? '').split(/\s+/).filter(Boolean)
    const page = name.slice(0, -5)
    emit(
      name,
      renderLayout(layout, { ...meta, page, base: '', content: body, scripts, nav: meta.nav }),
    )
  }

  // Assets, and the widget.
  for (const name of readdirSync(join(SRC, 'assets')).sort()) {
    emit(`assets/${name}`, readFileSync(join(SRC, 'assets', name)))
  }
  mkdirSync(out, { recursive: true })
  copyFileSync(widget, join(out, 'widget.js'))
  files.push('widget.js')

  // Docs.
  const { docs, packages } = collectDocs(repoRoot)
  const outputs = new Map()
  for (const doc of docs) outputs.set(doc.source, doc.out)
  for (const pkg of packages) outputs.set(`packages/${pkg.dir}`, `docs/packages/${pkg.dir}.html`)
  for (const doc of docs) {
    const markdown = readFileSync(join(repoRoot, doc.source), 'utf8')
    doc.title = firstHeading(markdown, doc.source)
    const resolveLink = (href) => {
      if (isExternal(href)) return undefined
      const [, path = '', suffix = ''] = /^([^?#]*)(.*)$/.exec(href) ?? []
      let decoded = path
      try {
        decoded = decodeURI(path)
      } catch {
        // keep it as written
      }
      const target = posix.normalize(posix.join(posix.dirname(doc.source), decoded))
      const found = outputs.get(target.replace(/\/+$/, ''))
      if (found) return hrefBetween(doc.out, found) + suffix
      warnings.push(`${doc.source}: link to ${href} (${target}) is not on the site; kept as text`)
      return null
    }
    const html = renderMarkdown(markdown, resolveLink)
    const base = baseOf(doc.out)
    const trail =
      doc.kind === 'guide'
        ? ''
        : doc.kind === 'package'
          ? ` / ${escapeHtml(doc.pkg.name)}`
          : ` / <a href="${hrefBetween(doc.out, `docs/packages/${doc.pkg.dir}.html`)}">${escapeHtml(doc.pkg.name)}</a>`
    const content = `<nav class="breadcrumb" aria-label="Breadcrumb"><a href="${base}docs/">Docs</a>${trail}</nav>
<article class="prose">
${html}</article>
<p class="note">Source: <code>${escapeHtml(doc.source)}</code></p>`
    emit(
      doc.out,
      renderLayout(layout, {
        title: `${doc.title} — Kibitz docs`,
        description: doc.kind === 'guide' ? `Kibitz: ${doc.title}` : doc.pkg.description,
        page: 'docs',
        nav: 'docs',
        base,
        content,
      }),
    )
  }

  // The docs index.
  const guideItems = docs
    .filter((d) => d.kind === 'guide')
    .map(
      (d) =>
        `  <li><a href="${hrefBetween('docs/index.html', d.out)}">${escapeHtml(d.title)}</a><span class="meta">${escapeHtml(d.source)}</span></li>`,
    )
  const packageItems = packages.map((p) => {
    const readme = docs.find((d) => d.kind === 'package' && d.pkg === p)
    const extras = p.extras
      .map((e) => `<a href="${hrefBetween('docs/index.html', e.out)}">${escapeHtml(e.title)}</a>`)
      .join(' · ')
    return `  <li><a href="${hrefBetween('docs/index.html', readme.out)}"><code>${escapeHtml(p.name)}</code></a><span class="meta">${escapeHtml(p.description)}</span>${extras ? `<span class="meta">${extras}</span>` : ''}</li>`
  })
  const index = `<h1>Docs</h1>
<p class="lede">How Kibitz works: the architecture, the wire protocol, the threat model, the
decisions behind them, and every published package.</p>
<h2>Guides</h2>
<ul class="doc-list">
${guideItems.join('\n')}
</ul>
<h2>Packages</h2>
<ul class="doc-list">
${packageItems.join('\n')}
</ul>`
  emit(
    'docs/index.html',
    renderLayout(layout, {
      title: 'Docs — Kibitz',
      description: 'Kibitz documentation: architecture, protocol, threat model, packages.',
      page: 'docs',
      nav: 'docs',
      base: '../',
      content: index,
    }),
  )

  return { outDir: out, files: files.sort(), warnings }
}

const isMain = process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url
if (isMain) {
  try {
    const { outDir, files, warnings } = buildSite({
      outDir: process.argv[2] ?? join(SITE_DIR, 'dist'),
    })
    for (const w of warnings) console.warn(`site: warning: ${w}`)
    console.log(`site: ${files.length} files → ${relative(process.cwd(), outDir) || '.'}`)
  } catch (error) {
    console.error(`site: build failed: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  }
}
