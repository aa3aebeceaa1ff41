// A lab's TLS set for nodes: DIR holds ca.pem (the lab's certificate authority),
// cert.pem and key.pem (this machine's certificate, signed by that CA, and its key) and
// secret (a shared random token). Every connection between a run and its nodes is TLS
// with both sides' certificates checked against ca.pem (caf_openssl); on top of that a
// node serves only a coordinator that presents the same secret.
#pragma once

#include <filesystem>
#include <string>

#include <caf/actor_system_config.hpp>

namespace oversight {

struct tls_set {
  std::filesystem::path dir;
  std::string secret;  ///< the secret file's content, trailing whitespace removed
};

/// Reads and checks DIR (every file present, readable, non-empty; the secret at least 16
/// characters). `flag` names where DIR came from ("--tls"). Throws user_error naming the
/// file and what is wrong with it.
tls_set read_tls_set(const std::filesystem::path& dir, const std::string& flag);

/// Loads the middleman and caf_openssl into `cfg` and points them at the set's files.
void use_tls(caf::actor_system_config& cfg, const tls_set& tls);

/// `oversight tls-init DIR`: a self-signed CA, a certificate it signs (valid for any
/// host of the lab: nodes check the CA, not names) and a 256-bit secret, written into
/// DIR, which must not exist or be empty. Uses the `openssl` command (tools/setup
/// installs it). Files are written into a temporary directory renamed into place, so a
/// failure leaves nothing half-written. Throws user_error.
void tls_init(const std::filesystem::path& dir);

/// Compares two secrets in time independent of where they differ.
bool same_secret(const std::string& a, const std::string& b);

}  // namespace oversight
