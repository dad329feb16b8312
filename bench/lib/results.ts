import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The bench package root (bench/). */
export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..')
/** The monorepo root. */
export const REPO_DIR = join(BENCH_DIR, '..')

export type FlatResult = Record<string, number>

/** Write `bench/results/<name>.json`: a flat object metric → finite number. */
export function writeResult(name: string, result: FlatResult): string {
  for (const [k, v] of Object.entries(result)) {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new Error(`result ${name}.${k} is not a finite number: ${v}`)
  }
  const file = join(BENCH_DIR, 'results', `${name}.json`)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
  return file
}
