// Runs spread over nodes on loopback, as a lab would use them: `oversight tls-init`, a few
// `oversight node` processes, `oversight run --nodes`. The determinism contract holds
// across processes (the metrics of a run over nodes are the single process's, bit for
// bit); a node refuses a coordinator without the lab's secret or CA, and the run says so
// in one line with exit 2; a node that dies mid-run ends the run naming it, and
// `oversight resume --nodes` finishes it on the nodes that remain with the uninterrupted
// run's metrics.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <fstream>
#include <memory>
#include <openssl/ssl.h>
#include <sys/time.h>
#include <thread>

#include "runtime/run_store.hpp"
#include "runtime/scenario_registry.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

using namespace oversight;
using namespace oversight::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;

namespace {

const fs::path scenarios_dir = fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios";

process_result oversight_cmd(const std::vector<std::string>& args, const temp_dir& cwd) {
  return run_process(OVERSIGHT_BIN, args, cwd.path());
}

/// A lab: a TLS set in DIR/tls and nodes started on loopback ports the system picks.
class lab {
 public:
  lab() : dir_("nodes") {
    auto r = oversight_cmd({"tls-init", (dir_ / "tls").string()}, dir_);
    INFO(r.err);
    REQUIRE(r.status == 0);
  }
  fs::path tls() const { return dir_ / "tls"; }
  const temp_dir& dir() const { return dir_; }

  /// Starts a node; returns its index.
  size_t start_node() {
    nodes_.push_back(std::make_unique<background_process>(
        OVERSIGHT_BIN,
        std::vector<std::string>{"node", "--listen", "127.0.0.1:0", "--tls", tls().string(), "--threads", "2"},
        dir_.path()));
    auto& n = *nodes_.back();
    const bool up = n.wait_for("listening on 127.0.0.1:", true, std::chrono::seconds(60));
    INFO("node stdout: " << n.out() << "\nnode stderr: " << n.err());
    REQUIRE(up);
    const auto out = n.out();
    const auto at = out.find("127.0.0.1:");
    const auto end = out.find_first_not_of("0123456789", at + 10);
    addresses_.push_back(out.substr(at, end - at));
    return nodes_.size() - 1;
  }
  const std::string& address(size_t k) const { return addresses_[k]; }
  /// "a,b,c" of the nodes `which`.
  std::string list(std::vector<size_t> which) const {
    std::string s;
    for (size_t k : which) s += (s.empty() ? "" : ",") + addresses_[k];
    return s;
  }
  background_process& node(size_t k) { return *nodes_[k]; }

 private:
  temp_dir dir_;
  std::vector<std::unique_ptr<background_process>> nodes_;
  std::vector<std::string> addresses_;
};

std::vector<std::string> with_sets(std::vector<std::string> args, const std::vector<std::string>& sets) {
  for (auto& s : sets) {
    args.push_back("--set");
    args.push_back(s);
  }
  return args;
}

/// Runs `toml` with `sets` into `out` (over `nodes` when not empty); returns its metrics.
std::vector<metric_row> run_metrics(lab& l, const fs::path& toml, const std::vector<std::string>& sets,
                                    const std::string& out, const std::string& nodes) {
  auto args = with_sets({"run", toml.string(), "--out", out, "--threads", "2"}, sets);
  if (!nodes.empty()) {
    args.insert(args.end(), {"--nodes", nodes, "--tls", l.tls().string()});
  }
  auto r = oversight_cmd(args, l.dir());
  INFO("status " << r.status << "\nstderr:\n" << r.err);
  REQUIRE(r.status == 0);
  return read_metrics(l.dir() / out / "run.sqlite");
}

}  // namespace

TEST_CASE("runs over three nodes on loopback give the single process's metrics", "[nodes][determinism]") {
  lab l;
  for (int i = 0; i < 3; ++i) l.start_node();
  const std::string all = l.list({0, 1, 2});

  SECTION("principal_agent: shards and auditors on the nodes, and with the coordinator taking a share") {
    const auto toml = scenarios_dir / "principal_agent/principal_agent.toml";
    const std::vector<std::string> sets{"population=3000", "shards=5", "ticks=12", "audit.rate=0.2",
                                        "audit.auditors=2"};
    const auto alone = run_metrics(l, toml, sets, "alone", "");
    REQUIRE(!alone.empty());
    CHECK(run_metrics(l, toml, sets, "nodes", all) == alone);
    auto shared = sets;
    shared.push_back("placement.coordinator=true");
    CHECK(run_metrics(l, toml, shared, "shared", all) == alone);
    // Each node hosted a share (12 placed roles over 3 nodes: 4 each).
    for (size_t k = 0; k < 3; ++k) CHECK_THAT(l.node(k).err(), Contains("hosting 4 roles of principal_agent"));
  }
  SECTION("league: learners' population, critic, experts and attackers on the nodes") {
    const auto* info = find_scenario("league");
    REQUIRE(info);
    const auto toml = scenarios_dir / "league/league.toml";
    const auto alone = run_metrics(l, toml, info->smoke, "alone", "");
    REQUIRE(!alone.empty());
    CHECK(run_metrics(l, toml, info->smoke, "nodes", all) == alone);
    for (size_t k = 0; k < 3; ++k) CHECK_THAT(l.node(k).err(), Contains("roles of league seed 1"));
  }
  // The runs' connections ended without a refusal.
  for (size_t k = 0; k < 3; ++k) {
    l.node(k).signal(SIGTERM);
    CHECK(l.node(k).wait_exit(std::chrono::seconds(30)) == 0);
    CHECK_THAT(l.node(k).err(), !Contains("refused"));
  }
}

/// How often `needle` occurs in `text`.
size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

/// A TCP connection to `address` ("127.0.0.1:PORT"): its socket.
int connect_loopback(const std::string& address) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(std::stoi(address.substr(address.rfind(':') + 1))));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

/// Sends bytes that are no TLS handshake to `address` ("127.0.0.1:PORT") and hangs up.
void send_junk(const std::string& address, int variant) {
  const int fd = connect_loopback(address);
  std::string junk(4096, '\0');
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = char((i * 131 + size_t(variant) * 7) & 0xff);
  CHECK(::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL) > 0);
  ::close(fd);
}

/// Connects to `address` as a peer of the lab would (its CA, certificate and key in
/// `tls`), and once the TLS handshake is done sends `bytes`. Returns whether the node
/// then closed the connection (within 10 s).
bool send_with_lab_certificate(const std::string& address, const fs::path& tls, const std::string& bytes) {
  std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  REQUIRE(ctx);
  REQUIRE(SSL_CTX_use_certificate_chain_file(ctx.get(), (tls / "cert.pem").c_str()) == 1);
  REQUIRE(SSL_CTX_use_PrivateKey_file(ctx.get(), (tls / "key.pem").c_str(), SSL_FILETYPE_PEM) == 1);
  REQUIRE(SSL_CTX_load_verify_locations(ctx.get(), (tls / "ca.pem").c_str(), nullptr) == 1);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  const int fd = connect_loopback(address);
  timeval wait{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  std::unique_ptr<SSL, void (*)(SSL*)> ssl(SSL_new(ctx.get()), SSL_free);
  SSL_set_fd(ssl.get(), fd);
  REQUIRE(SSL_connect(ssl.get()) == 1);
  CHECK(SSL_write(ssl.get(), bytes.data(), int(bytes.size())) == int(bytes.size()));
  char buf[512];
  int n = 0;
  while ((n = SSL_read(ssl.get(), buf, sizeof buf)) > 0) {}  // the node's BASP handshake, then its close
  const int error = SSL_get_error(ssl.get(), n);
  ssl.reset();
  ::close(fd);
  return error == SSL_ERROR_ZERO_RETURN || error == SSL_ERROR_SYSCALL || error == SSL_ERROR_SSL;
}

TEST_CASE("a node refuses a run without the lab's secret or CA and the run says so in one line", "[nodes][cli]") {
  lab l;
  l.start_node();
  const auto toml = (scenarios_dir / "principal_agent/principal_agent.toml").string();

  // Another secret.
  fs::copy(l.tls(), l.dir() / "other-secret", fs::copy_options::recursive);
  {
    std::ofstream s(l.dir() / "other-secret/secret", std::ios::trunc);
    s << "0123456789abcdef0123456789abcdef\n";
  }
  auto r = oversight_cmd({"run", toml, "--out", "refused", "--nodes", l.address(0), "--tls", "other-secret"}, l.dir());
  require_user_error(r, {"--nodes " + l.address(0), "secret"});
  CHECK(!fs::exists(l.dir() / "refused"));
  CHECK(l.node(0).wait_for("refused", false, std::chrono::seconds(5)));

  // Another lab's CA and certificate: the TLS handshake fails.
  REQUIRE(oversight_cmd({"tls-init", "other-lab"}, l.dir()).status == 0);
  r = oversight_cmd({"run", toml, "--out", "refused", "--nodes", l.address(0), "--tls", "other-lab"}, l.dir());
  require_user_error(r, {"--nodes " + l.address(0), "cannot connect", "ca.pem"});
  CHECK(!fs::exists(l.dir() / "refused"));
  // The node names the peer it refused, and why.
  const std::string refused = "oversight node: refused a connection from 127.0.0.1:";
  CHECK(l.node(0).wait_for(refused, false, std::chrono::seconds(10)));
  CHECK_THAT(l.node(0).err(), Contains("TLS handshake failed"));
  CHECK(count_of(l.node(0).err(), refused) == 1);

  // Bytes that are not TLS at all: one line each, naming the peer and the reason.
  for (int i = 0; i < 3; ++i) send_junk(l.address(0), i);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (count_of(l.node(0).err(), refused) < 4 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  INFO("node stderr:\n" << l.node(0).err());
  CHECK(count_of(l.node(0).err(), refused) == 4);
  CHECK(count_of(l.node(0).err(), "TLS handshake failed") == 4);

  // A peer with the lab's certificate that then sends bytes that are not CAF's protocol
  // (a 32-byte BASP header begins with its operation; 0xa5 is none): the node closes the
  // connection and says so.
  std::string junk(32, '\0');
  junk[0] = char(0xa5);
  CHECK(send_with_lab_certificate(l.address(0), l.tls(), junk));
  CHECK(l.node(0).wait_for("after the TLS handshake it sent bytes that are not CAF's protocol (BASP) or fell silent", false,
                           std::chrono::seconds(10)));
  // A header announcing a 4 GiB payload (a server handshake: operation 0, length
  // 0xfffffff0 big-endian, operation data 1) is refused before CAF allocates it.
  std::string header(32, '\0');
  header[4] = header[5] = header[6] = char(0xff), header[7] = char(0xf0), header[15] = 1;
  CHECK(send_with_lab_certificate(l.address(0), l.tls(), header));
  CHECK(l.node(0).wait_for("a message header it sent announced 4294967280 bytes, over the node's limit of 256 MiB",
                           false, std::chrono::seconds(10)));
  CHECK(count_of(l.node(0).err(), refused) == 6);

  // The node still serves the lab, with the single process's metrics.
  const std::vector<std::string> sets{"ticks=3"};
  CHECK(run_metrics(l, toml, sets, "after", l.address(0)) == run_metrics(l, toml, sets, "alone", ""));

  // And stops cleanly on SIGTERM. The lab's runs, which ended by hanging up, were not
  // reported, nor the connections it closes as it stops.
  l.node(0).signal(SIGTERM);
  CHECK(l.node(0).wait_exit(std::chrono::seconds(30)) == 0);
  CHECK(count_of(l.node(0).err(), refused) == 6);
}

TEST_CASE("bad node flags and TLS sets are one line naming the value", "[nodes][cli]") {
  temp_dir d("node-flags");
  const auto toml = (scenarios_dir / "principal_agent/principal_agent.toml").string();
  REQUIRE(oversight_cmd({"tls-init", "tls"}, d).status == 0);
  require_user_error(oversight_cmd({"run", toml, "--nodes", "127.0.0.1:4100"}, d), {"--nodes 127.0.0.1:4100", "--tls"});
  require_user_error(oversight_cmd({"run", toml, "--tls", "tls"}, d), {"--tls tls", "--nodes"});
  require_user_error(oversight_cmd({"run", toml, "--nodes", "127.0.0.1", "--tls", "tls"}, d), {"127.0.0.1", "HOST:PORT"});
  require_user_error(oversight_cmd({"run", toml, "--nodes", "h:99999", "--tls", "tls"}, d), {"h:99999", "port"});
  require_user_error(oversight_cmd({"run", toml, "--nodes", "h:1,h:1", "--tls", "tls"}, d), {"h:1", "twice"});
  require_user_error(oversight_cmd({"node", "--listen", "nowhere", "--tls", "tls"}, d), {"--listen nowhere"});
  require_user_error(oversight_cmd({"tls-init", "tls"}, d), {"tls-init tls", "not an empty directory"});
  fs::remove(d / "tls/secret");
  require_user_error(oversight_cmd({"node", "--listen", "127.0.0.1:0", "--tls", "tls"}, d), {"--tls tls", "secret", "missing"});
  {
    std::ofstream s(d / "tls/secret");
    s << "short\n";
  }
  require_user_error(oversight_cmd({"run", toml, "--nodes", "127.0.0.1:4100", "--tls", "tls"}, d), {"secret", "16"});
  {
    std::ofstream s(d / "tls/cert.pem", std::ios::trunc);
    s << "not a certificate\n";
  }
  require_user_error(oversight_cmd({"node", "--listen", "127.0.0.1:0", "--tls", "tls"}, d), {"cert.pem", "certificate"});
  // Nothing listens on the port: the run says it cannot connect, and leaves nothing.
  auto tls2 = oversight_cmd({"tls-init", "tls2"}, d);
  REQUIRE(tls2.status == 0);
  require_user_error(oversight_cmd({"run", toml, "--out", "r", "--nodes", "127.0.0.1:1", "--tls", "tls2"}, d),
                     {"--nodes 127.0.0.1:1", "cannot connect"});
  CHECK(!fs::exists(d / "r"));
}

TEST_CASE("a node that dies mid-run ends it naming the node and resume finishes it on the others", "[nodes][faults]") {
  lab l;
  l.start_node();
  l.start_node();
  const auto toml = (scenarios_dir / "principal_agent/principal_agent.toml").string();
  const std::vector<std::string> sets{"population=4000", "shards=4", "ticks=200", "checkpoint.every=10",
                                      "events.log=false"};
  const auto alone = run_metrics(l, toml, sets, "alone", "");

  auto args = with_sets({"run", toml, "--out", "spread", "--threads", "2", "--nodes", l.list({0, 1}), "--tls",
                         l.tls().string()},
                        sets);
  background_process run(OVERSIGHT_BIN, args, l.dir().path());
  // Progress lines come at every tenth of the run: kill node 1 once 30% has run.
  REQUIRE(run.wait_for("tick 60/200", false, std::chrono::seconds(120)));
  l.node(1).signal(SIGKILL);
  const int status = run.wait();
  INFO("status " << status << "\nstderr:\n" << run.err());
  REQUIRE(status == 1);
  CHECK_THAT(run.err(), Contains("on node " + l.address(1) + " is unreachable"));
  CHECK_THAT(run.err(), Contains("oversight resume"));
  CHECK(fs::exists(l.dir() / "spread/checkpoint.bin"));

  auto resumed = oversight_cmd({"resume", "spread", "--threads", "2", "--nodes", l.address(0), "--tls",
                                l.tls().string()},
                               l.dir());
  INFO("resume stderr:\n" << resumed.err);
  REQUIRE(resumed.status == 0);
  CHECK(read_metrics(l.dir() / "spread/run.sqlite") == alone);
}
