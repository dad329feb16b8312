import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { build, type Plugin } from 'esbuild'

const require = createRequire(import.meta.url)

export interface BundleOptions {
  /** A file to bundle (absolute path). Give this or `contents`. */
  entry?: string
  /** Source text to bundle (TypeScript), resolved from `resolveDir`. Give this or `entry`. */
  contents?: string
  /** Where bare and relative imports of `contents` resolve from (for `entry`: its own dir). */
  resolveDir: string
  /** `iife` (default) for a classic `<script>`, `esm` for `<script type="module">`. */
  format?: 'iife' | 'esm'
  /**
   * How JSX in `.tsx`/`.jsx` files (and in `contents`, then loaded as TSX) compiles: `automatic`
   * (react/jsx-runtime), `transform` (React.createElement) or `preserve`. Default: esbuild's own
   * (the nearest tsconfig's `jsx`, else `transform`).
   */
  jsx?: 'automatic' | 'transform' | 'preserve'
  /** Minify, as a production page would ship (benchmarks that time page start-up). Default false. */
  minify?: boolean
  /**
   * Inject the Node shims upstream simple-peer needs (`Buffer`, `process`). esbuild puts an
   * injected file into every module of the bundle whether it is used or not, so the `buffer`
   * polyfill (~29 KB minified) is parsed and run on every page that has them. Default true;
   * false builds the page as an app's bundler would (benchmarks of pages without simple-peer).
   */
  nodeShims?: boolean
}

/**
 * Workspace packages bundle from their TypeScript sources (`@kibitz/source`), then the usual
 * browser entry points.
 */
export const BROWSER_CONDITIONS = ['@kibitz/source', 'browser', 'module', 'import', 'default']

/** Resolved from test-utils' own dependencies, so the package being bundled needs neither. */
const BUFFER_PATH = require.resolve('buffer/')
const EVENTS_PATH = require.resolve('events/')
const SHIMS = 'kibitz-browser-shims'

/**
 * Upstream simple-peer (and its readable-stream) expects Node globals: `Buffer` and `process` are
 * injected where they are used free; `global` is defined as `globalThis` (TESTING.md).
 */
const shimsPlugin: Plugin = {
  name: 'kibitz-browser-shims',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^${SHIMS}$`) }, () => ({ path: SHIMS, namespace: SHIMS }))
    b.onLoad({ filter: /.*/, namespace: SHIMS }, () => ({
      loader: 'js',
      resolveDir: dirname(BUFFER_PATH),
      contents: [
        `import { Buffer } from ${JSON.stringify(BUFFER_PATH)}`,
        'const process = {',
        '  env: {},',
        "  browser: true, version: '', versions: {}, argv: [],",
        '  nextTick: (fn, ...args) => queueMicrotask(() => fn(...args)),',
        '}',
        'export { Buffer, process }',
      ].join('\n'),
    }))
  },
}

const cache = new Map<string, Promise<string>>()

/**
 * Bundle browser code with esbuild for a test page: platform browser, ES2022, workspace packages
 * from source, Node shims for upstream simple-peer. Returns the JS text. Bundles are cached per
 * input within the process (several test files bundle the same page); a failed build is not.
 */
export function bundleForBrowser(options: BundleOptions): Promise<string> {
  const { entry, contents, resolveDir } = options
  const format = options.format ?? 'iife'
  const jsx = options.jsx
  const minify = options.minify === true
  const nodeShims = options.nodeShims !== false
  if ((entry === undefined) === (contents === undefined))
    return Promise.reject(new Error('bundleForBrowser: give exactly one of `entry` or `contents`'))
  const key = JSON.stringify([
    entry ?? null,
    contents ?? null,
    resolveDir,
    format,
    jsx ?? null,
    minify,
    nodeShims,
  ])
  const hit = cache.get(key)
  if (hit) return hit
  const pending = build({
    ...(entry !== undefined
      ? { entryPoints: [entry] }
      : {
          stdin: {
            contents: contents ?? '',
            resolveDir,
            loader: jsx === undefined ? ('ts' as const) : ('tsx' as const),
            sourcefile: jsx === undefined ? 'browser-entry.ts' : 'browser-entry.tsx',
          },
        }),
    absWorkingDir: resolveDir,
    bundle: true,
    write: false,
    format,
    platform: 'browser',
    target: 'es2022',
    conditions: BROWSER_CONDITIONS,
    ...(jsx !== undefined ? { jsx } : {}),
    minify,
    define: { global: 'globalThis' },
    ...(nodeShims ? { inject: [SHIMS], plugins: [shimsPlugin] } : {}),
    alias: { events: EVENTS_PATH },
    logLevel: 'silent',
  }).then((result) => {
    const out = result.outputFiles[0]
    if (!out) throw new Error('bundleForBrowser: esbuild produced no output')
    return out.text
  })
  cache.set(key, pending)
  pending.catch(() => cache.delete(key))
  return pending
}

/**
 * socket.io-client's prebuilt browser script (defines global `io`), from test-utils' own
 * dependency: lets a page of a package that must not depend on socket.io-client (e.g.
 * `@kibitz/mesh`) talk to the real broker. Serve it before the page bundle.
 */
export function socketIoClientScript(): string {
  const dir = dirname(require.resolve('socket.io-client/package.json'))
  return readFileSync(join(dir, 'dist', 'socket.io.min.js'), 'utf8')
}
