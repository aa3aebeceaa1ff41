#include "runtime/tls_handshakes.hpp"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace oversight {

namespace {

/// What is known of one server-side session whose handshake has not finished.
struct handshake {
  std::string peer;    ///< read while the socket is open (it is closed before SSL_free)
  std::string reason;  ///< OpenSSL's reason for the failure, if it gave one
  std::string alert;   ///< the first alert sent or received (its description)
  bool alert_from_peer = false;
  bool server = false;
  bool done = false;
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
        const handshake& h = it->second;
        if (h.server && !h.done) {
          peer = h.peer.empty() ? "an unknown peer" : h.peer;
          reason = describe(h);
          report = reporter;
        }
        sessions.erase(it);
      }
    }
    if (report) report(peer, reason);
  }
  forward(ssl);
}

}  // extern "C"
