#!/usr/bin/env node
// Builds the self-contained `dist/widget.js` (SPEC W4–W5): one minified IIFE that defines
// `window.Kibitz`, with the panel's React code running on preact/compat (decisions.md: "Preact
// for widget.js"), and fails when the gzipped file is over the size budget.
import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { minify } from 'terser'

const here = dirname(fileURLToPath(import.meta.url))
const pkg = join(here, '..')
const require = createRequire(import.meta.url)

/** Gzipped bytes `widget.js` may weigh (checked on every build, so CI fails on a regression). */
export const BUDGET_GZIP_BYTES = 64 * 1024

const preact = dirname(require.resolve('preact/package.json'))

/** React APIs map onto Preact's compat layer; everything else bundles from workspace sources. */
const ALIASES = {
  react: join(preact, 'compat'),
  'react-dom': join(preact, 'compat'),
  'react-dom/client': join(preact, 'compat/client'),
  'react/jsx-runtime': join(preact, 'compat/jsx-runtime'),
  'react/jsx-dev-runtime': join(preact, 'compat/jsx-runtime'),
}

/**
 * Presence always connects with `transports: ['websocket']` (packages/presence/src/socket-io.ts),
 * so engine.io-client's HTTP long-polling and WebTransport transports are dead weight here: its
 * transport table is replaced by one holding the WebSocket transport alone.
 */
const websocketOnly = {
  name: 'engine.io-websocket-only',
  setup(b) {
    b.onResolve({ filter: /^\.\/transports\/index\.js$/ }, (args) =>
      /engine\.io-client[\\/]build[\\/]esm/.test(args.importer)
        ? { path: join(dirname(args.importer), 'transports/websocket.js'), namespace: 'eio-ws' }
        : undefined,
    )
    b.onLoad({ filter: /.*/, namespace: 'eio-ws' }, (args) => ({
      loader: 'js',
      resolveDir: dirname(args.path),
      contents: `import { WS } from ${JSON.stringify(args.path)}\nexport const transports = { websocket: WS }`,
    }))
    // The package index re-exports the other transports too, and polling-xhr's top-level feature
    // probe keeps it in the bundle (2.4 KB minified): the index gets inert stand-ins.
    b.onResolve(
      { filter: /^\.\/transports\/(polling-xhr(\.node)?|polling-fetch|webtransport)\.js$/ },
      (args) =>
        /engine\.io-client[\\/]build[\\/]esm[\\/]index\.js$/.test(args.importer)
          ? { path: args.path, namespace: 'eio-unused' }
          : undefined,
    )
    b.onLoad({ filter: /.*/, namespace: 'eio-unused' }, () => ({
      loader: 'js',
      contents: 'export class XHR {}\nexport class Fetch {}\nexport class WT {}',
    }))
  },
}

/**
 * Presence always passes its own `parser` to socket.io-client (`brokerParser`, protocol P18), so the
 * default parser that socket.io-client imports (socket.io-parser's encoder, decoder and binary
 * reconstruction, 5.7 KB minified) never runs here: socket.io-client only reads its packet-type
 * table and protocol number. A stand-in keeps those (the table is our codec's own) and throws if a
 * socket were ever made without a parser.
 */
const defaultParserStandIn = {
  name: 'socket.io-parser-stand-in',
  setup(b) {
    b.onResolve({ filter: /^socket\.io-parser$/ }, (args) =>
      /socket\.io-client[\\/]build[\\/]esm/.test(args.importer)
        ? { path: 'socket.io-parser', namespace: 'sio-parser' }
        : undefined,
    )
    b.onLoad({ filter: /.*/, namespace: 'sio-parser' }, () => ({
      loader: 'js',
      resolveDir: pkg,
      contents: [
        `export { PacketType } from ${JSON.stringify(join(pkg, '../protocol/src/broker-codec.ts'))}`,
        'export const protocol = 5',
        "const none = () => { throw new Error('widget.js: socket.io needs brokerParser') }",
        'export class Encoder { constructor() { none() } }',
        'export class Decoder { constructor() { none() } }',
      ].join('\n'),
    }))
  },
}

/**
 * Bundle, minify and measure. Returns the file's text, minified and gzipped sizes, and the bytes
 * each input contributed (for the report and the size test).
 */
export async function buildWidgetScript({ outfile } = {}) {
  const result = await build({
    entryPoints: [join(pkg, 'src/auto.ts')],
    absWorkingDir: pkg,
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    metafile: true,
    conditions: ['@kibitz/source', 'browser', 'module', 'import', 'default'],
    jsx: 'automatic',
    alias: ALIASES,
    plugins: [websocketOnly, defaultParserStandIn],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  })
  // esbuild bundles and minifies; terser's second pass (two compress passes, top-level mangling
  // inside the IIFE) takes another ~5 % off the gzipped size (decisions.md).
  const squeezed = await minify(result.outputFiles[0].text, {
    ecma: 2020,
    module: false,
    compress: { passes: 2 },
    mangle: { toplevel: true },
    format: { comments: false },
  })
  const text = squeezed.code
  const bytes = Buffer.from(text)
  const gzip = gzipSync(bytes, { level: 9 }).length
  const inputs = Object.values(result.metafile.outputs)[0].inputs
  const byPackage = {}
  for (const [path, info] of Object.entries(inputs)) {
    const m = path.match(/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/)
    const key = m ? m[1] : (path.match(/packages\/([^/]+)\//)?.[1] ?? path)
    byPackage[key] = (byPackage[key] ?? 0) + info.bytesInOutput
    if (process.env.DEBUG_SIZE && path.includes(process.env.DEBUG_SIZE))
      console.log(path, info.bytesInOutput)
  }
  if (outfile) {
    mkdirSync(dirname(outfile), { recursive: true })
    writeFileSync(outfile, text)
  }
  return { text, minified: bytes.length, gzip, byPackage }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outfile = join(pkg, 'dist/widget.js')
  const { minified, gzip, byPackage } = await buildWidgetScript({ outfile })
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`
  const top = Object.entries(byPackage)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${kb(v)}`)
    .join(', ')
  console.log(
    `widget.js: ${kb(minified)} minified, ${kb(gzip)} gzipped (budget ${kb(BUDGET_GZIP_BYTES)})`,
  )
  console.log(`  by package (minified): ${top}`)
  if (gzip > BUDGET_GZIP_BYTES) {
    console.error(`widget.js is over its size budget by ${kb(gzip - BUDGET_GZIP_BYTES)}`)
    process.exit(1)
  }
}
