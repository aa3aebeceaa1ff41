#include "runtime/tls.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/wait.h>

#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include "base/error.hpp"

namespace oversight {

namespace fs = std::filesystem;

namespace {
const char* const tls_files[] = {"ca.pem", "cert.pem", "key.pem", "secret"};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Runs a shell command line; its stderr goes to `log`. Returns the exit status.
int run_quiet(const std::string& line) {
  const int rc = std::system(line.c_str());
  return rc == -1 ? -1 : (WIFEXITED(rc) ? WEXITSTATUS(rc) : 128);
}

std::string quote(const fs::path& p) {
  std::string q(1, '\'');
  for (char c : p.string()) {
    if (c == '\'') q.append("'\\''");
    else q.push_back(c);
  }
  q.push_back('\'');
  return q;
}
}  // namespace

tls_set read_tls_set(const fs::path& dir, const std::string& flag) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw user_error(flag + " " + dir.string() + ": no such directory (oversight tls-init " + dir.string() +
                     " makes one)");
  for (const char* f : tls_files) {
    const auto p = dir / f;
    if (!fs::is_regular_file(p, ec))
      throw user_error(flag + " " + dir.string() + ": " + p.string() + " is missing (a TLS set holds ca.pem, cert.pem, "
                       "key.pem and secret; oversight tls-init makes one)");
    std::ifstream in(p);
    if (!in) throw user_error(flag + " " + dir.string() + ": " + p.string() + " cannot be read");
    if (fs::file_size(p, ec) == 0) throw user_error(flag + " " + dir.string() + ": " + p.string() + " is empty");
  }
  for (const char* f : {"ca.pem", "cert.pem"})
    if (read_file(dir / f).find("-----BEGIN CERTIFICATE-----") == std::string::npos)
      throw user_error(flag + " " + dir.string() + ": " + (dir / f).string() + " holds no PEM certificate");
  if (read_file(dir / "key.pem").find("PRIVATE KEY-----") == std::string::npos)
    throw user_error(flag + " " + dir.string() + ": " + (dir / "key.pem").string() + " holds no PEM private key");
  tls_set t;
  t.dir = fs::absolute(dir);
  t.secret = read_file(dir / "secret");
  while (!t.secret.empty() && (t.secret.back() == '\n' || t.secret.back() == '\r' || t.secret.back() == ' '))
    t.secret.pop_back();
  if (t.secret.size() < 16)
    throw user_error(flag + " " + dir.string() + ": " + (dir / "secret").string() +
                     " is shorter than 16 characters (oversight tls-init writes 64 hex digits)");
  return t;
}

void use_tls(caf::actor_system_config& cfg, const tls_set& tls) {
  cfg.load<caf::io::middleman>();
  cfg.load<caf::openssl::manager>();
  cfg.openssl_certificate = (tls.dir / "cert.pem").string();
  cfg.openssl_key = (tls.dir / "key.pem").string();
  cfg.openssl_cafile = (tls.dir / "ca.pem").string();
  // A peer that stops answering (its machine gone, not just its process) is noticed by
  // missing heartbeats instead of never: sent every second by the middleman's own thread
  // (so a long training step does not delay them), a connection silent for 30 s is closed.
  cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::seconds(1)});
  cfg.set("middleman.connection-timeout", caf::timespan{std::chrono::seconds(30)});
}

void tls_init(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec)))
    throw user_error("tls-init " + dir.string() + ": exists and is not an empty directory (it would be overwritten)");
  if (run_quiet("command -v openssl >/dev/null 2>&1") != 0)
    throw user_error("tls-init: the openssl command is not installed (tools/setup installs it)");
  const auto parent = fs::absolute(dir).parent_path();
  if (!fs::is_directory(parent, ec)) throw user_error("tls-init " + dir.string() + ": " + parent.string() + " does not exist");
  std::string tmp_name = fs::absolute(dir).filename().string();
  tmp_name.insert(0, 1, '.');
  tmp_name.append(".tmp");
  const auto tmp = parent / tmp_name;
  fs::remove_all(tmp, ec);
  fs::create_directory(tmp, ec);
  if (ec) throw user_error("tls-init " + dir.string() + ": cannot create " + tmp.string() + ": " + ec.message());
  fs::permissions(tmp, fs::perms::owner_all, ec);
  const std::string t = quote(tmp);
  const std::string log = quote(tmp / "openssl.log");
  const std::string steps[] = {
      // The lab's CA: EC P-256, ten years.
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 -subj "
      "/CN=oversight-lab-ca -keyout " + t + "/ca-key.pem -out " + t + "/ca.pem",
      // The lab's machines' certificate, signed by it.
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=oversight-node -keyout " + t +
          "/key.pem -out " + t + "/cert.csr",
      "openssl x509 -req -in " + t + "/cert.csr -CA " + t + "/ca.pem -CAkey " + t + "/ca-key.pem -CAcreateserial -days "
          "3650 -out " + t + "/cert.pem",
  };
  for (const auto& s : steps)
    if (run_quiet(s + " >>" + log + " 2>&1") != 0) {
      const std::string why = read_file(tmp / "openssl.log");
      fs::remove_all(tmp, ec);
      throw user_error("tls-init " + dir.string() + ": openssl failed: " + why.substr(0, why.find('\n')));
    }
  {
    std::random_device rd;
    std::ofstream s(tmp / "secret");
    char hex[3];
    for (int i = 0; i < 32; ++i) {
      std::snprintf(hex, sizeof hex, "%02x", unsigned(rd() & 0xff));
      s << hex;
    }
    s << "\n";
    if (!s.flush()) {
      fs::remove_all(tmp, ec);
      throw user_error("tls-init " + dir.string() + ": cannot write the secret");
    }
  }
  // The CA's key is not kept: the set is copied to every machine of the lab, and no
  // other certificate is ever signed.
  for (const char* f : {"cert.csr", "ca.srl", "ca-key.pem", "openssl.log"}) fs::remove(tmp / f, ec);
  for (const char* f : {"key.pem", "secret"}) fs::permissions(tmp / f, fs::perms::owner_read | fs::perms::owner_write, ec);
  fs::remove(dir, ec);  // an empty directory, checked above
  fs::rename(tmp, dir, ec);
  if (ec) {
    fs::remove_all(tmp, ec);
    throw user_error("tls-init " + dir.string() + ": cannot move the set into place: " + ec.message());
  }
}

bool same_secret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

}  // namespace oversight
