import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

const HINTS: Record<string, string> = {
  'redis-server': 'apt-get update && apt-get install -y redis-server',
  turnserver: 'apt-get update && apt-get install -y coturn',
  chromium: 'apt-get update && apt-get install -y chromium',
}

/** Absolute path of an executable on PATH, or null. */
export function findBinary(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // keep looking
    }
  }
  return null
}

/**
 * A binary a real-part test needs. Missing on CI (`CI` set): throws with the install command, so
 * the suite fails instead of silently skipping. Missing locally: warns loudly and returns null so
 * the caller can `describe.skipIf(!bin)`.
 */
export function requireBinary(name: string): string | null {
  const found = findBinary(name)
  if (found) return found
  const hint = HINTS[name] ?? `install ${name}`
  if (process.env.CI)
    throw new Error(`${name} is required on CI but missing from PATH; install it: ${hint}`)
  console.warn(
    `\n!!! ${name} not found: SKIPPING the tests that need it. Install it with: ${hint}\n`,
  )
  return null
}
