import { browserPlaceholders, type WebRtcImplementation } from '@kibitz/mesh'
import { ErrorCode, KibitzError } from '@kibitz/protocol'
import type { LocalMedia, MediaDevicesLike } from './local-media.js'

/** What the controller reads from its runtime (page or Node), in one place. */

export function pick(m: LocalMedia): { micOn: boolean; camOn: boolean; sharing: boolean } {
  return { micOn: m.micOn, camOn: m.camOn, sharing: m.sharing }
}

export function shallowEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a)
  return ka.length === Object.keys(b).length && ka.every((k) => Object.is(a[k], b[k]))
}

export function randomIdentity(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

export function pageOrigin(): string | null {
  const loc = (globalThis as { location?: { origin?: string } }).location
  return loc?.origin && loc.origin !== 'null' ? loc.origin : null
}

export function browserDevices(): MediaDevicesLike | null {
  const nav = (globalThis as { navigator?: { mediaDevices?: MediaDevicesLike } }).navigator
  return nav?.mediaDevices ?? null
}

/** Canvas / Web Audio placeholders in a page; none elsewhere (a data-only call). */
export function defaultPlaceholders(): ReturnType<typeof browserPlaceholders> | null {
  return typeof document === 'undefined' ? null : browserPlaceholders()
}

export function browserWrtc(): WebRtcImplementation {
  const g = globalThis as Record<string, unknown>
  if (typeof g.RTCPeerConnection !== 'function') {
    throw new KibitzError(
      ErrorCode.NOT_CONFIGURED,
      'no WebRTC here: pass wrtc (nodeWrtc() from @kibitz/mesh/node in Node)',
    )
  }
  return {
    RTCPeerConnection: g.RTCPeerConnection,
    RTCSessionDescription: g.RTCSessionDescription,
    RTCIceCandidate: g.RTCIceCandidate,
  }
}
