import type { KibitzError, MediaLane } from '@kibitz/protocol'
import { loopbackOnly } from '../candidates.js'
import { createMesh, type Mesh, type MeshOptions } from '../mesh.js'
import type { PeerLink } from '../peer-link.js'
import { roamPlaceholders, type Placeholders } from '../roam-media.js'
import { rtcPeerLinkFactory } from '../rtc-peer-link.js'
import type { SignalHub } from './hub.js'
import { roam, roamNonstandard } from './roam.js'
import { waitFor } from './wait.js'

/** Test-only: meshes with media on roam, wired through an in-memory signal hub. */
export interface MediaNode {
  id: string
  mesh: Mesh
  /** Every link this mesh made, in order. */
  links: PeerLink[]
  errors: { peer: string | null; error: KibitzError }[]
  tracks: { peer: string; lane: MediaLane; track: MediaStreamTrack }[]
  placeholders: Placeholders
}

export interface MediaNodeOptions extends Partial<MeshOptions> {
  /** Replace the roam placeholder factory (e.g. one that cannot make anything). */
  placeholder?: (kind: 'audio' | 'video') => MediaStreamTrack | null
}

const everyNode: MediaNode[] = []

export function spawnMediaNode(
  hub: SignalHub,
  id: string,
  options: MediaNodeOptions = {},
): MediaNode {
  const { placeholder, ...meshOptions } = options
  const placeholders = roamPlaceholders(roamNonstandard, { frameIntervalMs: 100 })
  const links: PeerLink[] = []
  const factory = rtcPeerLinkFactory({ wrtc: roam, candidateFilter: loopbackOnly })
  const mesh = createMesh({
    self: id,
    signaling: hub.endpoint(id),
    wrtc: roam,
    iceServers: [],
    byeFlushMs: 50,
    media: { placeholder: placeholder ?? placeholders.placeholder },
    createLink: (o) => {
      const link = factory(o)
      links.push(link)
      return link
    },
    ...meshOptions,
  })
  const node: MediaNode = { id, mesh, links, errors: [], tracks: [], placeholders }
  mesh.on('error', (e) => node.errors.push(e))
  mesh.on('track', (t) => node.tracks.push(t))
  everyNode.push(node)
  return node
}

/** Every node lists every other as open. */
export async function connected(nodes: MediaNode[], ms = 10_000): Promise<void> {
  await waitFor(
    () => nodes.every((n) => n.mesh.connectedPeers().length === nodes.length - 1),
    ms,
    'media mesh open',
  )
}

/** `node` has every lane of `peer` live on its current link. */
export async function lanesLive(node: MediaNode, peer: string, ms = 10_000): Promise<void> {
  await waitFor(
    () => {
      const lanes = node.mesh.remoteTracks(peer)
      return !!lanes && Object.values(lanes).every((t) => t !== null)
    },
    ms,
    `${node.id} has the lanes of ${peer}`,
  )
}

/** Close every node spawned so far (meshes first, then their placeholders). */
export async function closeMediaNodes(): Promise<void> {
  const nodes = everyNode.splice(0)
  await Promise.all(nodes.map((n) => n.mesh.close()))
  for (const n of nodes) n.placeholders.stop()
}
