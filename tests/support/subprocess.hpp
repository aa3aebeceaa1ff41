// Runs a program to completion and captures its exit status, stdout and stderr.
#pragma once

#include <cerrno>
#include <chrono>
#include <csignal>
#include <thread>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

namespace oversight::testing {

struct process_result {
  int status = -1;  ///< exit status; 128 + signal number when killed by a signal; 126/127: could not start
  std::string out;
  std::string err;

  /// stderr split into lines (without their '\n').
  std::vector<std::string> err_lines() const { return lines(err); }
  std::vector<std::string> out_lines() const { return lines(out); }

  static std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> v;
    size_t b = 0;
    while (b < s.size()) {
      size_t e = s.find('\n', b);
      if (e == std::string::npos) e = s.size();
      v.push_back(s.substr(b, e - b));
      b = e + 1;
    }
    return v;
  }
};

/// A program running in the background (a node, a run to interrupt), stdin from
/// /dev/null, its stdout and stderr going to files that can be watched while it runs.
/// Killed (SIGKILL) and reaped by the destructor if still running.
class background_process {
 public:
  background_process(const std::string& program, const std::vector<std::string>& args,
                     const std::filesystem::path& cwd)
      : capture_("background") {
    std::vector<std::string> argv_s{program};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    const auto out_file = capture_ / "stdout", err_file = capture_ / "stderr";
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      int in = ::open("/dev/null", O_RDONLY);
      int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (in < 0 || out < 0 || err < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0 ||
          ::chdir(cwd.c_str()) != 0)
        ::_exit(126);
      ::execv(program.c_str(), argv.data());
      static const char msg[] = "background_process: execv failed (is the program built?)\n";
      [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
      ::_exit(127);
    }
  }
  ~background_process() {
    if (pid_ > 0 && status_ < 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  background_process(const background_process&) = delete;
  background_process& operator=(const background_process&) = delete;

  std::string out() const { return slurp(capture_ / "stdout"); }
  std::string err() const { return slurp(capture_ / "stderr"); }

  /// Waits until stdout (or stderr) holds `text`, or the process ends, or `timeout`
  /// passes; true when the text appeared.
  bool wait_for(const std::string& text, bool on_stdout, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if ((on_stdout ? out() : err()).find(text) != std::string::npos) return true;
      if (exited()) return (on_stdout ? out() : err()).find(text) != std::string::npos;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }
  void signal(int sig) { ::kill(pid_, sig); }
  /// Waits up to `timeout` for the process to end; its exit status, or -1 if still running.
  int wait_exit(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!exited() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return status_;
  }
  /// Exit status as run_process reports it; waits for the end.
  int wait() {
    if (status_ >= 0) return status_;
    int wstatus = 0;
    pid_t r;
    do {
      r = ::waitpid(pid_, &wstatus, 0);
    } while (r < 0 && errno == EINTR);
    status_ = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    return status_;
  }

 private:
  bool exited() {
    if (status_ >= 0) return true;
    int wstatus = 0;
    if (::waitpid(pid_, &wstatus, WNOHANG) != pid_) return false;
    status_ = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    return true;
  }
  temp_dir capture_;
  pid_t pid_ = -1;
  int status_ = -1;
};

/// Runs `program args...` with `cwd` as working directory and stdin from /dev/null, to
/// completion.
inline process_result run_process(const std::string& program, const std::vector<std::string>& args,
                                  const std::filesystem::path& cwd) {
  background_process p(program, args, cwd);
  process_result res;
  res.status = p.wait();
  res.out = p.out();
  res.err = p.err();
  return res;
}

/// Bad input as the command reports it: status 2, exactly one stderr line, "error: ...",
/// naming each of `names`.
inline void require_user_error(const process_result& r, const std::vector<std::string>& names) {
  INFO("status " << r.status << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.status == 2);
  const auto lines = r.err_lines();
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], Catch::Matchers::StartsWith("error: "));
  for (auto& n : names) CHECK_THAT(lines[0], Catch::Matchers::Contains(n));
}

}  // namespace oversight::testing
