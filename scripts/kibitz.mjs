#!/usr/bin/env node
// The one entry point behind the README's two commands. It needs only Node 20 and npm:
//   npm start  → install (pnpm via npx), build the broker and the demo site (apps/site), run the
//                broker on http://127.0.0.1:8787 serving the site
//   npm test   → install, build, static checks, the whole vitest suite, then `N passed, N failed`
//   npm run bench -- <name>  → benchmarks (see bench/README.md)
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const PNPM_SPEC = rootPkg.packageManager // e.g. pnpm@10.34.8
const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: '1',
  TURBO_NO_UPDATE_NOTIFIER: '1',
  DO_NOT_TRACK: '1',
  NPM_CONFIG_UPDATE_NOTIFIER: 'false',
}

/** Debian packages the real-part tests need, keyed by the binary they provide. */
const SYSTEM_PACKAGES = [
  { bin: 'redis-server', pkg: 'redis-server', why: 'multi-node broker tests' },
  { bin: 'turnserver', pkg: 'coturn', why: 'TURN credential tests' },
  { bin: 'chromium', pkg: 'chromium', why: 'browser WebCrypto cross-check' },
]

function log(msg) {
  console.log(`\x1b[36m[kibitz]\x1b[0m ${msg}`)
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, ...opts })
  if (r.error) throw r.error
  return r.status ?? 1
}

function which(bin) {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).status === 0
}

/** pnpm: the pinned version through npx (works on a machine that has only npm). */
function pnpm(args, opts) {
  const local = spawnSync('pnpm', ['--version'], { encoding: 'utf8' })
  const want = PNPM_SPEC.split('@')[1]
  if (local.status === 0 && local.stdout.trim() === want) return run('pnpm', args, opts)
  return run('npx', ['-y', PNPM_SPEC, ...args], opts)
}

function ensureInstalled() {
  const marker = join(root, 'node_modules', '.modules.yaml')
  const lock = join(root, 'pnpm-lock.yaml')
  const fresh = existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs
  if (fresh && !process.env.CI) return
  log('installing dependencies (pnpm, frozen lockfile)…')
  if (pnpm(['install', '--frozen-lockfile', '--reporter=append-only']) !== 0) {
    console.error('install failed')
    process.exit(1)
  }
}

/** Install missing Debian packages when we can (root + apt); otherwise say what will be skipped. */
function ensureSystemPackages() {
  const missing = SYSTEM_PACKAGES.filter((p) => !which(p.bin))
  if (missing.length === 0) return
  const names = missing.map((p) => p.pkg)
  const canApt = process.getuid?.() === 0 && which('apt-get') && process.env.KIBITZ_NO_APT !== '1'
  if (canApt) {
    log(`installing Debian packages for real-part tests: ${names.join(', ')}`)
    run('apt-get', ['update', '-qq'])
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], {
      env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
    })
    return
  }
  for (const p of missing) {
    console.warn(
      `\x1b[33m[kibitz] ${p.bin} not found: ${p.why} will be skipped (apt-get install ${p.pkg})\x1b[0m`,
    )
  }
}

function buildAll() {
  return pnpm(['exec', 'turbo', 'run', 'build', '--output-logs=errors-only'])
}

/** Whether the user chose their own static dir (flag or env): then we do not serve the demo site. */
function ownStaticDir(args) {
  return (
    args.some((a) => a === '--static-dir' || a.startsWith('--static-dir=')) ||
    Boolean(process.env.KIBITZ_STATIC_DIR)
  )
}

async function start(args) {
  ensureInstalled()
  // The broker and the demo site (apps/site), with everything they depend on (the widget).
  const build = [
    'exec',
    'turbo',
    'run',
    'build',
    '--filter=@kibitz/broker...',
    '--filter=site...',
    '--output-logs=errors-only',
  ]
  if (pnpm(build) !== 0) process.exit(1)
  const site = !ownStaticDir(args)
  const brokerArgs = site ? ['--static-dir', join(root, 'apps/site/dist'), ...args] : args
  const child = spawn(
    process.execPath,
    [join(root, 'packages/broker/dist/cli.js'), ...brokerArgs],
    {
      cwd: root,
      stdio: ['inherit', 'pipe', 'inherit'],
      env,
    },
  )
  // Pass the broker's output through; once it listens, say where to point a browser.
  let pending = ''
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk)
    if (pending === null) return
    pending += chunk.toString('utf8')
    const url = /listening on (http:\/\/\S+)/.exec(pending)?.[1]
    if (!url) return
    pending = null
    if (site) log(`demo site: open ${url} in two tabs, then "Start a call" in one`)
    log(`broker status page: ${url}/status · Ctrl+C stops`)
  })
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)))
}

function test(args) {
  ensureInstalled()
  ensureSystemPackages()
  const checks = [
    ['build', () => buildAll()],
    ['typecheck', () => pnpm(['exec', 'turbo', 'run', 'typecheck', '--output-logs=errors-only'])],
    ['dependency direction', () => run(process.execPath, ['scripts/check-deps.mjs'])],
    ['lint', () => pnpm(['exec', 'eslint', '.', '--max-warnings=0'])],
    ['format', () => pnpm(['exec', 'prettier', '--check', '.', '--log-level=warn'])],
  ]
  let passed = 0
  let failed = 0
  for (const [name, fn] of checks) {
    log(`check: ${name}`)
    if (fn() === 0) passed++
    else {
      failed++
      console.error(`\x1b[31m[kibitz] check failed: ${name}\x1b[0m`)
    }
  }
  mkdirSync(join(root, '.tmp'), { recursive: true })
  const report = join(root, '.tmp', 'vitest-report.json')
  log('tests: vitest (every workspace project)')
  pnpm([
    'exec',
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...args,
  ])
  let tests = { numPassedTests: 0, numFailedTests: 0, numTotalTestSuites: 0, success: false }
  try {
    tests = JSON.parse(readFileSync(report, 'utf8'))
  } catch {
    console.error('[kibitz] vitest wrote no report; counting the test run as one failure')
    failed++
  }
  // A suite that failed to load has no tests to count: count it as a failure too.
  const brokenFiles = (tests.testResults ?? []).filter(
    (f) => f.status === 'failed' && (f.assertionResults ?? []).every((a) => a.status !== 'failed'),
  ).length
  passed += tests.numPassedTests
  failed += tests.numFailedTests + brokenFiles
  console.log(`\nchecks: ${checks.length}; test files: ${(tests.testResults ?? []).length}`)
  console.log(`${passed} passed, ${failed} failed`)
  process.exit(failed === 0 ? 0 : 1)
}

function bench(args) {
  ensureInstalled()
  if (buildAll() !== 0) process.exit(1)
  process.exit(
    run(process.execPath, ['--import', 'tsx', 'run.ts', ...args], { cwd: join(root, 'bench') }),
  )
}

const [cmd = 'test', ...rest] = process.argv.slice(2)
switch (cmd) {
  case 'start':
    await start(rest)
    break
  case 'test':
    test(rest)
    break
  case 'build':
    ensureInstalled()
    process.exit(buildAll())
    break
  case 'bench':
    bench(rest)
    break
  default:
    console.error(`unknown command ${cmd}; use start | test | build | bench`)
    process.exit(2)
}
