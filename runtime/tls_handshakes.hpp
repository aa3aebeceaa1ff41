// Failed TLS handshakes on a listening process, reported one line each.
//
// caf_openssl accepts a connection, runs the TLS handshake and, when it fails (another
// lab's certificate, no certificate, bytes that are not TLS at all), closes the socket
// without a word: CAF 0.17 gives no hook for it. A node must say that it refused bytes
// from the network and whose they were, so this unit stands between caf_openssl and
// OpenSSL. It defines OpenSSL's SSL_new and SSL_free; the dynamic linker resolves
// caf_openssl's calls to these definitions before libssl's, because the executable comes
// first in its lookup order. They forward to libssl's own (dlsym RTLD_NEXT) and, while a
// report is installed, follow every server-side session: its peer's address, the alert
// sent or received, OpenSSL's reason for the failure. A server-side session freed before
// its handshake finished is reported.
//
// Only an executable that links this unit (one that calls report_failed_handshakes) gets
// the forwarding definitions; everything else calls libssl directly.
#pragma once

#include <functional>
#include <string>

namespace oversight {

/// `peer`: "127.0.0.1:53422" (or "an unknown peer" when the socket had no address);
/// `reason`: one phrase, e.g. "TLS handshake failed: wrong version number",
/// "TLS handshake failed: the peer sent alert 'decrypt error'" or "the peer closed the
/// connection before the TLS handshake finished".
using handshake_report = std::function<void(const std::string& peer, const std::string& reason)>;

/// From now on, every TLS connection this process accepts whose handshake does not finish
/// is reported once through `report`, on the thread that closes it (CAF's multiplexer).
/// Call before accepting connections; a later call replaces the report.
void report_failed_handshakes(handshake_report report);

}  // namespace oversight
