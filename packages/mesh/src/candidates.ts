/**
 * ICE candidate filtering in the signaling path (M12). Real stacks (Chromium, roam) gather every
 * interface; loopback tests keep only 127.0.0.1 so nothing ever targets an outside address.
 */

/** Returns true to keep a candidate. Receives the candidate line with or without `a=` / `candidate:`. */
export type CandidateFilter = (candidate: string) => boolean

/** The connection address of a candidate line, or null when it does not parse. */
export function candidateAddress(candidate: string): string | null {
  let line = candidate.trim()
  if (line.startsWith('a=')) line = line.slice(2)
  if (line.startsWith('candidate:')) line = line.slice('candidate:'.length)
  // foundation component transport priority address port "typ" type …
  const parts = line.split(/\s+/)
  if (parts.length < 8 || parts[6] !== 'typ') return null
  return parts[4] ?? null
}

/** The candidate type (`host`, `srflx`, `prflx`, `relay`) of a candidate line, or null. */
export function candidateType(candidate: string): string | null {
  const m = /\styp\s+(\S+)/.exec(candidate)
  return m?.[1] ?? null
}

/** Keep only relayed (TURN) candidates: what relay-only mode lets out (M30). */
export const relayOnlyCandidates: CandidateFilter = (candidate) =>
  candidateType(candidate) === 'relay'

/** Keep only IPv4 loopback (127.0.0.1) candidates. */
export const loopbackOnly: CandidateFilter = (candidate) =>
  candidateAddress(candidate) === '127.0.0.1'

/** Remove the `a=candidate:` lines of an SDP blob that `keep` rejects; other lines are untouched. */
export function filterSdpCandidates(sdp: string, keep: CandidateFilter): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n'
  return sdp
    .split(eol)
    .filter((line) => !line.startsWith('a=candidate:') || keep(line))
    .join(eol)
}
