#include "touchline/api/password_hasher.h"

#include <algorithm>

#include "touchline/api/auth.h"

namespace touchline::api {

namespace {

Error busy() {
  return Error::make(ErrorCode::unavailable, "too many passwords are being checked right now; retry shortly");
}

// libsodium fails only when it cannot allocate Argon2's memory: an answer, not a dead thread.
template <typename T, typename Work>
Result<T> guarded(Work work) {
  try {
    return work();
  } catch (const std::exception& ex) {
    return Error::make(ErrorCode::internal, std::string("password hashing failed: ") + ex.what());
  }
}

}  // namespace

PasswordHasher::PasswordHasher(PasswordHasherOptions options) : options_(options) {
  const int threads = std::max(options_.threads, 1);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

PasswordHasher::~PasswordHasher() { stop(); }

void PasswordHasher::hash(std::string password, std::function<void(Result<std::string>)> done) {
  auto shared_done = std::make_shared<std::function<void(Result<std::string>)>>(std::move(done));
  if (!submit([password = std::move(password), shared_done, cost = options_.cost] {
        (*shared_done)(guarded<std::string>([&] { return hash_password(password, cost); }));
      })) {
    (*shared_done)(busy());
  }
}

void PasswordHasher::verify(std::string hash, std::string password, std::function<void(Result<bool>)> done) {
  auto shared_done = std::make_shared<std::function<void(Result<bool>)>>(std::move(done));
  if (!submit([this, hash = std::move(hash), password = std::move(password), shared_done] {
        (*shared_done)(guarded<bool>([&] {
          if (!hash.empty()) return verify_password(hash, password);
          std::call_once(no_account_once_,
                         [this] { no_account_hash_ = hash_password("no account has this password", options_.cost); });
          verify_password(no_account_hash_, password);
          return false;
        }));
      })) {
    (*shared_done)(busy());
  }
}

bool PasswordHasher::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= options_.max_queued) return false;
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

void PasswordHasher::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

void PasswordHasher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

}  // namespace touchline::api
