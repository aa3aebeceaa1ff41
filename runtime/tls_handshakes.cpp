#include "runtime/tls_handshakes.hpp"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include <caf/io/basp/header.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace oversight {

namespace {

/// CAF 0.17's BASP framing of the bytes a node reads: a 32-byte header holding its
/// payload's length (big-endian, at byte 4), then that many bytes of payload, then the
/// next header. Followed only to refuse a header announcing more than max_basp_payload:
/// caf_io allocates a payload whole before reading it.
class basp_framing {
 public:
  /// Consumes n bytes; the first announced payload over the limit, or 0.
  uint64_t feed(const unsigned char* p, size_t n) {
    while (n > 0) {
      if (payload_left_ > 0) {
        const size_t take = size_t(std::min<uint64_t>(payload_left_, n));
        payload_left_ -= take;
        p += take, n -= take;
        continue;
      }
      const size_t take = std::min(n, sizeof head_ - have_);
      std::memcpy(head_ + have_, p, take);
      have_ += take, p += take, n -= take;
      if (have_ < sizeof head_) break;
      have_ = 0;
      payload_left_ = uint64_t(head_[4]) << 24 | uint64_t(head_[5]) << 16 | uint64_t(head_[6]) << 8 | head_[7];
      if (payload_left_ > max_basp_payload) return payload_left_;
    }
    return 0;
  }

 private:
  static_assert(caf::io::basp::header_size == 32, "CAF's BASP header is not the one followed here");
  unsigned char head_[32] = {};
  size_t have_ = 0;
  uint64_t payload_left_ = 0;
};

/// What is known of one session, followed from SSL_new to SSL_free.
struct handshake {
  std::string peer;    ///< read while the socket is open (it is closed before SSL_free)
  std::string reason;  ///< OpenSSL's reason for the failure, if it gave one
  std::string alert;   ///< the first alert sent or received (its description)
  bool alert_from_peer = false;
  bool server = false;
  bool done = false;        ///< the TLS handshake finished
  bool peer_ended = false;  ///< a read or write found the connection ended or broken
  bool shut_down = false;   ///< before that, this side shut the connection down (shutdown())
  uint64_t bytes_in = 0;    ///< bytes read after the handshake
  basp_framing framing;     ///< of those bytes, on a server-side session
  uint64_t oversized = 0;   ///< a payload length refused (0: none)
};

/// The report's reason: the peer's alert says more than OpenSSL's reason for it ("tlsv1
/// alert ..."); an alert this side sent adds to OpenSSL's reason.
std::string describe(const handshake& h) {
  const std::string failed = "TLS handshake failed: ";
  if (!h.alert.empty() && h.alert_from_peer) return failed + "the peer sent alert '" + h.alert + "'";
  const std::string sent = h.alert.empty() ? "" : "alert sent: '" + h.alert + "'";
  if (!h.reason.empty()) return failed + h.reason + (sent.empty() ? "" : " (" + sent + ")");
  if (!sent.empty()) return failed + sent;
  return "the peer closed the connection before the TLS handshake finished";
}

/// Why a session is reported when it is freed, or "" when it is not: a server-side
/// session whose handshake never finished, or one that finished and that this side closed
/// while the peer still held it open. While the process serves, caf_io closes a
/// connection for bytes that are not its protocol or for missed heartbeats (the
/// middleman's connection timeout, runtime/tls.cpp), and for nothing else; a peer that
/// hangs up itself is not reported, nor is a client-side session.
std::string refusal(const handshake& h) {
  if (!h.server) return {};
  if (!h.done) return describe(h);
  if (h.oversized > 0)
    return "a message header it sent announced " + std::to_string(h.oversized) + " bytes, over the node's limit of " +
           std::to_string(max_basp_payload >> 20) + " MiB";
  if (h.peer_ended) return {};
  return "after the TLS handshake it sent bytes that are not CAF's protocol (BASP) or fell silent past the "
         "connection timeout (" + std::to_string(h.bytes_in) + " bytes read)";
}

std::atomic<bool> watching{false};
std::mutex mu;                                   // guards what follows
handshake_report reporter;
std::unordered_map<const SSL*, handshake> sessions;

/// libssl's own definition of `name`, the next one after this executable's.
template <class F>
F real(const char* name) {
  void* f = ::dlsym(RTLD_NEXT, name);
  if (!f) {
    std::fprintf(stderr, "oversight: libssl has no %s\n", name);
    std::abort();
  }
  return reinterpret_cast<F>(f);
}

std::string peer_of(const SSL* ssl) {
  const int fd = SSL_get_fd(ssl);
  sockaddr_storage a{};
  socklen_t n = sizeof a;
  if (fd < 0 || ::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &n) != 0) return {};
  char host[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
    ::inet_ntop(AF_INET, &v4.sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(v4.sin_port));
  }
  if (a.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
    ::inet_ntop(AF_INET6, &v6.sin6_addr, host, sizeof host);
    std::string text = "[";
    text.append(host).append("]:").append(std::to_string(ntohs(v6.sin6_port)));
    return text;
  }
  return {};
}

/// OpenSSL's info callback: called at every step of a session's handshake.
void on_info(const SSL* ssl, int where, int ret) {
  std::lock_guard<std::mutex> lock(mu);
  auto it = sessions.find(ssl);
  if (it == sessions.end()) return;
  handshake& h = it->second;
  h.server = SSL_is_server(const_cast<SSL*>(ssl)) == 1;  // known once SSL_accept runs
  if (h.peer.empty()) h.peer = peer_of(ssl);
  if (where & SSL_CB_HANDSHAKE_DONE) h.done = true;
  if ((where & SSL_CB_ALERT) && h.alert.empty()) {
    const char* what = SSL_alert_desc_string_long(ret);
    // OpenSSL 3.0 names some TLS 1.3 alerts (certificate_required) only "unknown".
    if (std::strcmp(what, "unknown") != 0) {
      h.alert = what;
      h.alert_from_peer = (where & SSL_CB_READ) != 0;
    }
  }
  // A handshake step that stopped: OpenSSL clears the thread's error queue at the start
  // of every step, so an error there is this session's (none when it only waits for bytes).
  if ((where & SSL_CB_EXIT) && ret <= 0 && h.reason.empty())
    if (const unsigned long e = ERR_peek_last_error())
      if (const char* r = ERR_reason_error_string(e)) h.reason = r;
}

/// After SSL_read (`data`: the bytes read) or SSL_write (`data` null) returned `n` on
/// `ssl`: counts what came in, and marks the peer as gone when the call failed for
/// anything but "try again". False when the bytes read must be refused (a payload over
/// the limit): the caller then fails the read, and caf_openssl closes the connection.
bool note_transfer(SSL* ssl, int n, const void* data, bool read) {
  const int error = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, n);  // peeks at the error queue: caf_openssl reads it next
  std::lock_guard<std::mutex> lock(mu);
  auto it = sessions.find(ssl);
  if (it == sessions.end()) return true;
  handshake& h = it->second;
  if (n > 0) {
    if (!read) return true;
    h.bytes_in += uint64_t(n);
    if (h.server && h.oversized == 0)
      h.oversized = h.framing.feed(static_cast<const unsigned char*>(data), size_t(n));
    return h.oversized == 0;
  }
  // After this side's shutdown the peer's hang-up answers it: not an end of the peer's.
  if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE && !h.shut_down) h.peer_ended = true;
  return true;
}

/// After shutdown(fd, ...) by this process: marks the session on `fd`, if one is followed.
void note_shutdown(int fd) {
  std::lock_guard<std::mutex> lock(mu);
  for (auto& [ssl, h] : sessions)
    if (SSL_get_fd(ssl) == fd) h.shut_down = true;
}

}  // namespace

void report_failed_handshakes(handshake_report report) {
  std::lock_guard<std::mutex> lock(mu);
  reporter = std::move(report);
  watching = bool(reporter);
}

}  // namespace oversight

// The forwarding definitions (see the header): C linkage, OpenSSL's signatures.
extern "C" {

SSL* SSL_new(SSL_CTX* ctx) {
  using namespace oversight;
  static const auto forward = real<SSL* (*)(SSL_CTX*)>("SSL_new");
  SSL* ssl = forward(ctx);
  if (ssl && watching) {
    {
      std::lock_guard<std::mutex> lock(mu);
      sessions[ssl] = handshake{};  // fresh, should libssl have freed a session at this address itself
    }
    SSL_set_info_callback(ssl, on_info);
  }
  return ssl;
}

void SSL_free(SSL* ssl) {
  using namespace oversight;
  static const auto forward = real<void (*)(SSL*)>("SSL_free");
  if (ssl && watching) {
    std::string peer, reason;
    handshake_report report;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = sessions.find(ssl);
      if (it != sessions.end()) {
        reason = refusal(it->second);
        if (!reason.empty()) {
          peer = it->second.peer.empty() ? "an unknown peer" : it->second.peer;
          report = reporter;
        }
        sessions.erase(it);
      }
    }
    if (report) report(peer, reason);
  }
  forward(ssl);
}

// Reads and writes after the handshake: the bytes that came in, and whether the peer
// ended the connection (or it broke) before this side closed it.
int SSL_read(SSL* ssl, void* buf, int num) {
  using namespace oversight;
  static const auto forward = real<int (*)(SSL*, void*, int)>("SSL_read");
  const int n = forward(ssl, buf, num);
  // A refused read fails as a broken connection would (SSL_get_error: SSL_ERROR_SYSCALL).
  if (watching && !note_transfer(ssl, n, buf, true)) return -1;
  return n;
}

int SSL_write(SSL* ssl, const void* buf, int num) {
  using namespace oversight;
  static const auto forward = real<int (*)(SSL*, const void*, int)>("SSL_write");
  const int n = forward(ssl, buf, num);
  if (watching) note_transfer(ssl, n, nullptr, false);
  return n;
}

// caf_io's graceful close (network::shutdown_write and friends). The session is marked
// before the call, so a read racing with it cannot blame the peer for this side's close.
int shutdown(int fd, int how) noexcept {
  using namespace oversight;
  static const auto forward = real<int (*)(int, int)>("shutdown");
  if (watching) note_shutdown(fd);
  return forward(fd, how);
}

}  // extern "C"
