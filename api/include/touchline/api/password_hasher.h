// Argon2id off the HTTP threads. Hashing a password takes tens of milliseconds of CPU on
// purpose; done on the threads that answer checks, a flood of sign-ins or sign-ups would hold
// every check up behind it. Here it runs on a small pool of its own, behind a bounded queue: a
// flood waits in the queue (or is refused once the queue is full) while the HTTP threads stay
// free.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "touchline/api/auth.h"
#include "touchline/events/result.h"

namespace touchline::api {

struct PasswordHasherOptions {
  int threads = 1;
  std::size_t max_queued = 64;  // jobs waiting beyond the running ones
  PasswordCost cost;            // of each hash made (auth.h)
};

class PasswordHasher {
 public:
  explicit PasswordHasher(PasswordHasherOptions options);
  ~PasswordHasher();  // calls stop()
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;

  // Hashes the password (hash_password in auth.h). `done` is called exactly once: with the hash,
  // on a hasher thread; or with unavailable, on the caller's thread before hash() returns, when
  // the queue is full or the hasher has stopped. Thread-safe.
  void hash(std::string password, std::function<void(Result<std::string>)> done);

  // Whether the password matches the hash (verify_password in auth.h); `done` as for hash().
  // An empty hash (no such account) takes a real check's time and answers false, so that the
  // time of a sign-in does not tell whether its email has an account.
  void verify(std::string hash, std::string password, std::function<void(Result<bool>)> done);

  // Refuses new jobs, lets the queued ones finish and joins the threads. Idempotent.
  void stop();

 private:
  // Queues `job`; false when the queue is full or stopped (then `job` has not run).
  bool submit(std::function<void()> job);
  void run();

  const PasswordHasherOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  // What verify() checks a password against when there is no account: a hash at this hasher's
  // cost, made once, when first needed.
  std::once_flag no_account_once_;
  std::string no_account_hash_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace touchline::api
