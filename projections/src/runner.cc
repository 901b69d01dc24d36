#include "touchline/projections/runner.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <exception>
#include <memory>
#include <functional>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

namespace touchline::projections {
namespace {

// Up to `limit` events after position `after`, read and decoded; the error names what failed,
// the machine included (no memory, no thread to be had), so that a runner stops rather than
// its thread ending the process.
Result<std::vector<events::RecordedEvent>> read_batch(const store::EventStore& log, std::uint64_t after,
                                                      std::size_t limit) {
  try {
    auto batch = log.read_recorded(after, limit);
    if (!batch.ok()) return Error::make(ErrorCode::internal, "reading the log failed: " + batch.error().message);
    return batch;
  } catch (const std::exception& ex) {
    return Error::make(ErrorCode::internal, std::string("reading the log failed: ") + ex.what());
  }
}

// A rebuild's reader. One thread reads the log up to two batches ahead of the caller and
// decodes them a chunk at a time; the caller, when it comes for a batch, decodes the chunks not
// yet taken alongside it, then folds. So the two cores share the decoding as each comes free: a reader
// that decoded whole batches alone (with a helper thread started for each) was the busier of
// the two while the folding thread waited for it. A batch folded is given back and the next is
// decoded into its events, whose strings keep their memory: a quarter of a rebuild's time went
// to allocating and freeing them (docs/PERFORMANCE.md, "A rebuild's decoding shared with the
// fold"). With no thread to be had, the caller reads and decodes every batch itself.
class ReadAhead {
 public:
  using Batch = std::vector<events::RecordedEvent>;

  ReadAhead(const store::EventStore& log, std::size_t limit) : log_(log), limit_(limit) {
    try {
      worker_ = std::thread([this] { run(); });
    } catch (const std::system_error&) {
      // No thread: next() reads on the caller's.
    }
  }
  ~ReadAhead() { stop(); }
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // The batch after the last one returned: events in log order, empty at the end of the log, or
  // the read's error (or the first event's that does not decode). After the end or an error
  // every later call returns the same. Called by one thread at a time.
  Result<Batch> next() {
    if (end_) return *end_;
    Result<Batch> out = take_next();
    if (!out.ok() || out->empty()) end_ = out;
    return out;
  }

  // Gives back a batch next() returned, once folded: its events' memory holds a later batch.
  void recycle(Batch&& batch) {
    std::lock_guard lock(mu_);
    if (spares_.size() < kAhead + 1) spares_.push_back(std::move(batch));
  }

  // Stops the reader thread and waits for it (for the read or the decoding under way, at most
  // a batch's). Idempotent.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      changed_.notify_all();
    }
    if (worker_.joinable()) worker_.join();
  }

 private:
  static constexpr std::size_t kChunk = 64;  // events decoded at a time by either thread
  static constexpr std::size_t kAhead = 2;   // batches read and not yet taken, at most

  // One batch as read, decoded chunk by chunk by whichever thread claims each chunk first.
  struct Pending {
    Result<store::StoredEvents> stored{store::StoredEvents{}};
    Batch events;                      // events[i] from stored->value(i), once its chunk is done
    std::atomic<std::size_t> next{0};  // the first index no thread has claimed
    std::size_t decoded = 0;           // indexes done, under mu_
    std::optional<std::pair<std::size_t, Error>> failed;  // the first index that failed, under mu_

    std::size_t size() const { return stored.ok() ? stored->size() : 0; }
  };

  // next() but for the end and errors staying. What the machine throws (no memory) comes back as
  // an error, from this thread or the reader's, so that a rebuild stops rather than the process.
  Result<Batch> take_next() {
    try {
      std::shared_ptr<Pending> batch;
      if (!worker_.joinable()) {
        batch = read_next();
      } else {
        std::unique_lock lock(mu_);
        changed_.wait(lock, [this] { return !queue_.empty() || reader_failed_; });
        if (queue_.empty()) std::rethrow_exception(reader_failed_);
        batch = queue_.front();
      }
      decode_chunks(*batch);
      Result<Batch> out = finish(*batch);
      if (worker_.joinable()) {
        std::lock_guard lock(mu_);
        queue_.pop_front();
        changed_.notify_all();
      }
      return out;
    } catch (const std::exception& ex) {
      return Error::make(ErrorCode::internal, std::string("reading the log failed: ") + ex.what());
    } catch (...) {
      return Error::make(ErrorCode::internal, "reading the log failed: an unknown exception");
    }
  }

  std::shared_ptr<Pending> read_next() {
    auto batch = std::make_shared<Pending>();
    try {
      auto stored = log_.read_stored(after_, limit_);
      if (stored.ok()) {
        batch->stored = std::move(stored);
      } else {
        batch->stored = Error::make(ErrorCode::internal, "reading the log failed: " + stored.error().message);
      }
    } catch (const std::exception& ex) {
      batch->stored = Error::make(ErrorCode::internal, std::string("reading the log failed: ") + ex.what());
    }
    if (batch->stored.ok() && batch->stored->size() > 0) {
      after_ = batch->stored->positions.back();
      {
        std::lock_guard lock(mu_);
        if (!spares_.empty()) {
          batch->events = std::move(spares_.back());
          spares_.pop_back();
        }
      }
      batch->events.resize(batch->stored->size());
    }
    return batch;
  }

  // Decodes chunks of `batch` until none is left unclaimed.
  void decode_chunks(Pending& batch) {
    const std::size_t n = batch.size();
    for (;;) {
      const std::size_t from = batch.next.fetch_add(kChunk, std::memory_order_relaxed);
      if (from >= n) return;
      const std::size_t to = std::min(n, from + kChunk);
      std::optional<std::pair<std::size_t, Error>> failed;
      for (std::size_t i = from; i < to && !failed; ++i) {
        try {
          if (auto st = store::EventStore::decode_stored(*batch.stored, i, batch.events[i]); !st.ok()) {
            failed.emplace(i, Error::make(ErrorCode::internal, "reading the log failed: " + st.error().message));
          }
        } catch (const std::exception& ex) {
          failed.emplace(i, Error::make(ErrorCode::internal, std::string("reading the log failed: ") + ex.what()));
        }
      }
      std::lock_guard lock(mu_);
      batch.decoded += to - from;
      if (failed && (!batch.failed || failed->first < batch.failed->first)) batch.failed = std::move(failed);
      if (batch.decoded == n) changed_.notify_all();
    }
  }

  // The batch once every chunk is decoded (by whichever thread), or its first failure. Rethrows
  // what ended the reader thread if that left a chunk undecoded.
  Result<Batch> finish(Pending& batch) {
    if (!batch.stored.ok()) return batch.stored.error();
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [&] { return batch.decoded == batch.size() || reader_failed_; });
      if (batch.decoded != batch.size()) std::rethrow_exception(reader_failed_);
      if (batch.failed) return batch.failed->second;
    }
    return std::move(batch.events);
  }

  // The reader thread: what it throws is kept for next() to return.
  void run() {
    try {
      read_and_decode();
    } catch (...) {
      std::lock_guard lock(mu_);
      reader_failed_ = std::current_exception();
      changed_.notify_all();
    }
  }

  // Keeps up to kAhead batches read ahead, decoding the oldest one with chunks left meanwhile;
  // stops reading at the end of the log or an error (that batch stays for next() to find).
  void read_and_decode() {
    for (;;) {
      std::shared_ptr<Pending> undecoded;
      bool read = false;
      {
        std::unique_lock lock(mu_);
        changed_.wait(lock, [&] {
          if (stopping_) return true;
          for (const auto& b : queue_) {
            if (b->next.load(std::memory_order_relaxed) < b->size()) {
              undecoded = b;
              return true;
            }
          }
          read = !at_end_ && queue_.size() < kAhead;
          return read;
        });
        if (stopping_) return;
      }
      if (undecoded) {
        decode_chunks(*undecoded);
        continue;
      }
      auto batch = read_next();
      std::lock_guard lock(mu_);
      at_end_ = !batch->stored.ok() || batch->size() == 0;
      queue_.push_back(std::move(batch));
      changed_.notify_all();
    }
  }

  const store::EventStore& log_;
  const std::size_t limit_;
  std::uint64_t after_ = 0;  // the reader thread's alone (or the caller's, with no thread)
  std::optional<Result<Batch>> end_;  // the caller's: the empty batch or error returned
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::shared_ptr<Pending>> queue_;  // batches read, oldest first, not yet taken
  std::vector<Batch> spares_;  // batches folded and given back, their events to be overwritten
  bool at_end_ = false;  // the reader's last read was the end of the log or failed
  std::exception_ptr reader_failed_;  // what ended the reader thread, if anything did
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace

void apply_event(Projection& projection, const events::Envelope& e) {
  auto recorded = events::recorded_event(e);
  if (!recorded.ok()) {
    throw std::runtime_error("the event at position " + std::to_string(e.position) +
                             " cannot be decoded: " + recorded.error().message);
  }
  projection.apply(*recorded);
}

ProjectionRunner::ProjectionRunner(store::EventStore& log, Projection& projection,
                                   RunnerOptions options)
    : log_(log), projection_(projection), state_(log, projection.name()), options_(std::move(options)) {}

ProjectionRunner::~ProjectionRunner() { stop(); }

void ProjectionRunner::start() {
  // Decide on the stored state before load() sees any of it: state of another format is cleared
  // unread, and the worker's catch-up below replays the log into it from position 0. Any read
  // that fails stops the runner here: replaying over state whose checkpoint it could not read
  // would fold events into it twice.
  auto stop_with = [this](const Error& e) {
    {
      std::lock_guard lock(mu_);
      failure_ = e.message;
    }
    if (options_.log) options_.log("projection " + projection_.name() + " stopped: " + *failure());
  };
  if (auto st = adopt_state_format(); !st.ok()) return stop_with(st.error());
  auto checkpoint = state_.checkpoint();
  if (!checkpoint.ok()) return stop_with(checkpoint.error());
  if (auto st = projection_.load(state_); !st.ok()) return stop_with(st.error());
  {
    std::lock_guard lock(mu_);
    position_ = *checkpoint;
  }
  worker_ = std::thread([this] { run(); });
}

Status ProjectionRunner::adopt_state_format() {
  const std::uint32_t wanted = projection_.state_format();
  auto format = state_.format();
  if (!format.ok()) return format.error();
  const std::uint32_t stored = *format;
  if (stored == wanted) return ok_status();
  // Whether there is anything to clear; a checkpoint too damaged to read is something.
  auto checkpoint = state_.checkpoint();
  bool has_state = !checkpoint.ok() || *checkpoint > 0;
  if (!has_state) {
    auto st = state_.scan("", [&](std::string_view, std::string_view) {
      has_state = true;
      return false;
    });
    if (!st.ok()) return st.error();
  }
  if (has_state) {
    if (auto st = state_.clear(); !st.ok()) {
      return Error::make(ErrorCode::internal,
                         "clearing state of format " + std::to_string(stored) +
                             " failed: " + st.error().message);
    }
    projection_.reset();
    if (options_.log) {
      options_.log("projection " + projection_.name() + ": stored state format " +
                   std::to_string(stored) + ", this build uses " + std::to_string(wanted) +
                   "; rebuilding from position 0");
    }
  }
  if (auto st = state_.set_format(wanted); !st.ok()) {
    return Error::make(ErrorCode::internal,
                       "recording state format " + std::to_string(wanted) + " failed: " +
                           st.error().message);
  }
  return ok_status();
}

void ProjectionRunner::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    waiters_.clear();
  }
  advanced_.notify_all();
  if (worker_.joinable()) worker_.join();
}

std::uint64_t ProjectionRunner::position() const {
  std::lock_guard lock(mu_);
  return position_;
}

std::optional<std::string> ProjectionRunner::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

bool ProjectionRunner::wait_for(std::uint64_t target, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return advanced_.wait_for(lock, timeout, [&] { return position_ >= target || stopping_; }) &&
         position_ >= target;
}

std::uint64_t ProjectionRunner::when_reached(std::uint64_t target, std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    if (position_ < target) {
      if (stopping_) return 0;
      const std::uint64_t ticket = next_ticket_++;
      waiters_.emplace(target, Waiter{ticket, std::move(fn)});
      return ticket;
    }
  }
  fn();
  return 0;
}

bool ProjectionRunner::cancel(std::uint64_t ticket) {
  std::lock_guard lock(mu_);
  for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
    if (it->second.ticket == ticket) {
      waiters_.erase(it);
      return true;
    }
  }
  return false;
}


void ProjectionRunner::advance_to(std::uint64_t position) {
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard lock(mu_);
    position_ = position;
    auto end = waiters_.upper_bound(position);
    for (auto it = waiters_.begin(); it != end; ++it) ready.push_back(std::move(it->second.fn));
    waiters_.erase(waiters_.begin(), end);
  }
  advanced_.notify_all();
  for (auto& fn : ready) fn();
}

bool ProjectionRunner::catch_up_once(bool& applied_any) {
  applied_any = false;
  auto batch = read_batch(log_, position(), options_.batch_size);
  if (!batch.ok()) {
    std::lock_guard lock(mu_);
    failure_ = batch.error().message;
    return false;
  }
  if (batch->empty()) return true;
  if (!fold(*batch)) return false;
  applied_any = true;
  return true;
}

bool ProjectionRunner::fold(const std::vector<events::RecordedEvent>& batch) {
  try {
    for (const auto& e : batch) projection_.apply(e);
  } catch (const std::exception& ex) {
    std::lock_guard lock(mu_);
    failure_ = ex.what();
    return false;
  }
  store::StateBatch changes;
  projection_.write_changes(changes);
  const std::uint64_t last = batch.back().position;
  if (auto st = state_.commit(changes, last); !st.ok()) {
    std::lock_guard lock(mu_);
    failure_ = "committing projection state failed: " + st.error().message;
    return false;
  }
  advance_to(last);
  return true;
}

void ProjectionRunner::run() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    bool applied_any = false;
    if (!catch_up_once(applied_any)) {
      if (options_.log) options_.log("projection " + projection_.name() + " stopped: " + *failure());
      return;
    }
    if (!applied_any) log_.wait_for_position(position() + 1, options_.idle_poll);
  }
}

Status ProjectionRunner::start_over() {
  if (auto st = state_.clear(); !st.ok()) return st;
  if (auto st = state_.set_format(projection_.state_format()); !st.ok()) return st;
  projection_.reset();
  std::lock_guard lock(mu_);
  position_ = 0;
  failure_.reset();
  return ok_status();
}

Status ProjectionRunner::rebuild(const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  ProjectionRunner* self = this;
  return rebuild_together(std::span(&self, 1), progress);
}

Status ProjectionRunner::rebuild_together(std::span<ProjectionRunner* const> runners,
                                          const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  if (runners.empty()) return ok_status();
  store::EventStore& log = runners.front()->log_;
  for (ProjectionRunner* r : runners) {
    if (&r->log_ != &log) {
      return Error::make(ErrorCode::invalid_argument, "projections rebuilt together must follow one log");
    }
    if (std::count(runners.begin(), runners.end(), r) > 1) {
      return Error::make(ErrorCode::invalid_argument, "a runner given twice would fold every event twice");
    }
    if (r->worker_.joinable()) {
      return Error::make(ErrorCode::failed_precondition, "stop the runner before rebuilding");
    }
  }
  for (ProjectionRunner* r : runners) {
    if (auto st = r->start_over(); !st.ok()) return st;
  }
  const std::uint64_t total = log.head_position();
  ReadAhead reader(log, runners.front()->options_.batch_size);
  for (;;) {
    // Folded, then given back for a later batch to be decoded into, while the reader reads on.
    auto batch = reader.next();
    if (!batch.ok()) {
      for (ProjectionRunner* r : runners) {
        std::lock_guard lock(r->mu_);
        r->failure_ = batch.error().message;
      }
      return batch.error();
    }
    if (batch->empty()) return ok_status();
    const std::uint64_t position = batch->back().position;
    for (ProjectionRunner* r : runners) {
      if (!r->fold(*batch)) return Error::make(ErrorCode::internal, *r->failure());
    }
    reader.recycle(std::move(*batch));
    if (progress) progress(position, total);
  }
}

}  // namespace touchline::projections
