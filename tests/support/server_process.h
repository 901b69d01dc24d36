// touchlined as a child process, for tests that kill it: started with posix_spawn, its stderr
// read until it says where it listens.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace touchline::testing {

class ServerProcess {
 public:
  ServerProcess(const std::string& binary, std::vector<std::string> args) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    args.insert(args.begin(), binary);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot spawn " + binary);
    }
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    stderr_ = fdopen(fds[0], "r");

    // "touchlined: touchlined listening on http://127.0.0.1:PORT with data in ..."
    static const std::regex listening("listening on http://[^:]+:([0-9]+)");
    char line[4096];
    while (std::fgets(line, sizeof line, stderr_)) {
      output_ += line;
      std::cmatch m;
      if (std::regex_search(line, m, listening)) {
        port_ = static_cast<std::uint16_t>(std::stoi(m[1].str()));
        break;
      }
    }
    if (port_ == 0) throw std::runtime_error("touchlined did not start:\n" + output_);
    // Keep draining its stderr so the child never blocks on a full pipe.
    drain_ = std::thread([this] {
      char buf[4096];
      while (std::fgets(buf, sizeof buf, stderr_)) {
        std::lock_guard lock(mu_);
        later_ += buf;
      }
    });
  }

  ~ServerProcess() {
    if (!exited_) kill_now();
    if (drain_.joinable()) drain_.join();
    std::fclose(stderr_);
  }

  std::uint16_t port() const { return port_; }
  // What it wrote to stderr up to the line saying where it listens.
  const std::string& startup_output() const { return output_; }
  // Everything it wrote to stderr so far (once it has exited: everything).
  std::string output() {
    if (exited_ && drain_.joinable()) drain_.join();
    std::lock_guard lock(mu_);
    return output_ + later_;
  }

  void kill_now() { signal_and_wait(SIGKILL); }

  // Returns the exit status from waitpid.
  int terminate() { return signal_and_wait(SIGTERM); }

 private:
  int signal_and_wait(int sig) {
    ::kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    exited_ = true;
    return status;
  }

  pid_t pid_ = 0;
  FILE* stderr_ = nullptr;
  std::string output_;
  std::mutex mu_;
  std::string later_;  // what it wrote after the line saying where it listens
  std::uint16_t port_ = 0;
  bool exited_ = false;
  std::thread drain_;
};

}  // namespace touchline::testing
