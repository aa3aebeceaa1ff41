// Refused connections on a listening process, reported one line each.
//
// caf_openssl accepts a connection, runs the TLS handshake and, when it fails (another
// lab's certificate, no certificate, bytes that are not TLS at all), closes the socket
// without a word; so does caf_io's BASP broker when a peer that passed the handshake
// sends bytes that are not CAF's protocol. CAF 0.17 gives no hook for either. A node must
// say that it refused bytes from the network and whose they were, so this unit stands
// between caf_openssl and OpenSSL. It defines OpenSSL's SSL_new, SSL_free, SSL_read and
// SSL_write, and the C library's shutdown; the dynamic linker resolves caf_openssl's and
// caf_io's calls to these definitions before libssl's and libc's, because the executable
// comes first in its lookup order. They forward to the libraries' own (dlsym RTLD_NEXT)
// and, while a report is installed, follow every session: its peer's address, the alert
// sent or received, OpenSSL's reason for a failure, the bytes read after the handshake
// and whether the peer ended the connection before this side shut it down (caf_io closes
// gracefully: shutdown(SHUT_WR), then it reads on until the peer hangs up, an end that
// is then its own, not the peer's). A server-side session is reported when it is freed
// if its handshake never finished, or if it finished and this side closed the connection
// while the peer still held it open (what caf_io does to bytes it cannot parse, and to a
// peer silent past the connection timeout). A peer that hangs up itself is not reported.
//
// caf_io allocates a message's payload whole, at the length its header announces (up to
// 4 GiB), before reading it; so SSL_read also follows BASP's framing on a server-side
// session and fails the read of a header announcing more than max_basp_payload, which
// closes the connection (reported as such) before anything is allocated.
//
// Only an executable that links this unit (one that calls report_failed_handshakes) gets
// the forwarding definitions; everything else calls libssl directly.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace oversight {

/// The largest message a listening process accepts from a peer (BASP payload bytes): a
/// league's parameter broadcast of 4,096 learners is 24 MB.
inline constexpr uint64_t max_basp_payload = uint64_t(256) << 20;

/// `peer`: "127.0.0.1:53422" (or "an unknown peer" when the socket had no address);
/// `reason`: one phrase, e.g. "TLS handshake failed: wrong version number",
/// "TLS handshake failed: the peer sent alert 'decrypt error'", "the peer closed the
/// connection before the TLS handshake finished", "after the TLS handshake it sent bytes
/// that are not CAF's protocol (BASP) or fell silent past the connection timeout (32
/// bytes read)" or "a message header it sent announced 4294967280 bytes, over the node's
/// limit of 256 MiB".
using handshake_report = std::function<void(const std::string& peer, const std::string& reason)>;

/// From now on, every TLS connection this process accepts and refuses (above) is reported
/// once through `report`, on the thread that closes it (CAF's multiplexer). Call before
/// accepting connections; a later call replaces the report, and an empty one stops the
/// reports (before a process closes its connections itself, as when it stops).
void report_failed_handshakes(handshake_report report);

}  // namespace oversight
