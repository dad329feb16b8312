/**
 * Another revision of this repository, checked out beside it for a same-run A/B (`mesh
 * --first-frame-ab <rev>`): a detached `git worktree` in the OS temp dir whose dependencies
 * resolve as this checkout's do — the root store is linked, and each workspace package's own
 * `node_modules` (pnpm's relative links: `@kibitz/mesh -> ../../../mesh`) is copied as links, so
 * `@kibitz/*` imports land in the variant's sources and everything else in the shared store.
 * Nothing is installed. `remove()` deletes the worktree (a run killed before it leaves one in the
 * temp dir: `git worktree prune` forgets it once the folder is gone).
 */
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_DIR } from './results.js'

export interface Variant {
  /** The revision as given, and the commit it named. */
  rev: string
  commit: string
  dir: string
  remove(): void
}

const git = (args: string[]) =>
  execFileSync('git', args, { cwd: REPO_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

/** The folders of this checkout that pnpm gave a `node_modules` (bench, apps/*, packages/*). */
function linkedFolders(): string[] {
  const out = ['bench']
  for (const parent of ['apps', 'packages']) {
    for (const name of readdirSync(join(REPO_DIR, parent))) out.push(join(parent, name))
  }
  return out.filter((f) => existsSync(join(REPO_DIR, f, 'node_modules')))
}

/** The commit `rev` names; throws a readable error when it names none. */
export function resolveCommit(rev: string): string {
  try {
    return git(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]).trim()
  } catch {
    throw new Error(`--first-frame-ab: ${JSON.stringify(rev)} names no commit of this repository`)
  }
}

export function checkoutVariant(rev: string): Variant {
  const commit = resolveCommit(rev)
  const dir = mkdtempSync(join(tmpdir(), 'kibitz-variant-'))
  git(['worktree', 'add', '--detach', '--force', dir, commit])
  const remove = () => {
    try {
      git(['worktree', 'remove', '--force', dir])
    } catch {
      // Already gone: nothing to do.
    }
  }
  try {
    symlinkSync(join(REPO_DIR, 'node_modules'), join(dir, 'node_modules'), 'dir')
    for (const folder of linkedFolders()) {
      if (!existsSync(join(dir, folder))) continue
      cpSync(join(REPO_DIR, folder, 'node_modules'), join(dir, folder, 'node_modules'), {
        recursive: true,
        verbatimSymlinks: true,
      })
    }
  } catch (error) {
    remove()
    throw error
  }
  return { rev, commit, dir, remove }
}
