/**
 * The offerer is the DTLS client (M42).
 *
 * Every stack offers `a=setup:actpass` and, answering that, takes `active`: the answerer then
 * sends its ClientHello the moment its ICE connects, which is often before the offerer has applied
 * the answer. libdatachannel drops that flight (no DTLS transport yet) and retransmits after 1 s,
 * or — under CPU contention — has its DTLS server verify the client's certificate before the
 * answer's fingerprint is in place and fails the connection ("unknown CA").
 *
 * The offer we send therefore says `a=setup:active`. The answerer answers `passive` and waits as
 * the DTLS server, ready since it applied the offer; our connection keeps its own `actpass`
 * description and becomes the client when it applies the `passive` answer, so its ClientHello
 * leaves only once both descriptions are in place. Only the copy on the wire changes: no stack is
 * asked to apply a munged local description. RFC 8842 lets the offerer say `active`.
 */
export function offerAsDtlsClient(sdp: string): string {
  return sdp.replace(/^a=setup:actpass(?=\r?$)/gm, 'a=setup:active')
}
