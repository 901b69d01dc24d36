// The Boost.Beast side of Touchline's HTTP server, in the style of Beast's advanced async server
// example: a listener accepting connections and one session per connection, on a thread pool
// whose every thread runs an io_context of its own; a session lives on the one its connection was
// accepted onto, so that one thread does all of its work, in order (its strand). This is the only
// translation unit that includes Beast's server code.
//
// Lifetimes. Everything the asynchronous code touches lives in `Shared`, which owns the
// io_contexts and is held by shared_ptr by the server, the listener, every session and every
// post_after timer. A session is kept alive by its pending operation or by the Responder handed
// to the handler, so a Responder kept past stop(), or past the HttpServer itself, still points at
// a live session whose socket belongs to a live io_context: calling it then does nothing, and
// dropping it frees the session (and, when it is the last reference, the io_contexts).
//
// Stopping happens in two steps. stop() first marks the server `stopping` and drains: the
// acceptor closes, every session without a request in flight closes at once, and the sessions
// with one (the handler was called: its answer is awaited or being written) finish it with
// `Connection: close`. Each session counts its request in `Shared::in_flight` from the moment the
// handler is given it (or a 400/413 answer is started) until the write completes or the
// connection closes; post() and post_after() keep working meanwhile. When the count reaches zero
// or options.drain_timeout passes, finish_stop() marks the server `stopped`, closes every session
// left and cancels the pending timers; then it releases the work guards (one per io_context), so
// each io_context runs out of work once those are done and its thread returns from run(), and
// stop() joins them. (Released any earlier, an io_context whose sessions only await their answers
// would have nothing pending, and its thread would return with those answers unwritten.) Nothing is started on the pool
// once the stopped flag is set. A stop() called on a pool thread cannot wait for the drain (it
// would wait for the pool, or for its own request): it leaves finish_stop() to the last request's
// completion or to a drain timer, and lets the threads finish on their own.
#include "touchline/api/http_server.h"

#include "http_listener.h"

namespace touchline::api {

using namespace http_detail;

//------------------------------------------------------------------------------------------------

struct HttpServer::Impl {
  std::shared_ptr<Shared> shared;
  std::shared_ptr<Listener> listener;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  bool started = false;
  std::mutex stop_mu;  // serialises stop() calls
  std::atomic<bool> stopped{false};  // written under stop_mu

  // Under stop_mu, off the pool.
  void join_threads() {
    for (auto& t : threads) {
      if (t.joinable()) t.join();
    }
    threads.clear();
  }
};

HttpServer::HttpServer(HttpServerOptions options, Handler handler, ErrorResponder error_responder)
    : impl_(std::make_unique<Impl>()) {
  impl_->shared = std::make_shared<Shared>(std::move(options), std::move(handler), std::move(error_responder));
}

HttpServer::~HttpServer() {
  stop();
  // Destroyed on a pool thread (a handler ending the server): the pool cannot be joined from
  // here; its threads finish on their own, holding the shared state.
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.detach();
  }
}

Status HttpServer::start() {
  std::lock_guard stop_lock(impl_->stop_mu);
  if (impl_->started) return Error::make(ErrorCode::internal, "The HTTP server was already started.");
  if (impl_->stopped) return Error::make(ErrorCode::internal, "The HTTP server was stopped.");
  auto& shared = impl_->shared;
  auto listener = std::make_shared<Listener>(shared);
  if (auto st = listener->listen(shared->options.address, shared->options.port); !st.ok()) return st;
  impl_->started = true;
  impl_->listener = listener;
  impl_->port = listener->port();
  {
    std::lock_guard lock(shared->mu);
    for (auto& context : shared->contexts) shared->work.push_back(asio::make_work_guard(*context));
  }
  listener->run();
  impl_->threads.reserve(shared->contexts.size());
  for (auto& context : shared->contexts) {
    impl_->threads.emplace_back([shared, &ioc = *context] {
      pool_of_this_thread = shared.get();
      context_of_this_thread = &ioc;
      // A handler or posted function that throws must not take the pool down with it.
      for (;;) {
        try {
          ioc.run();
          return;
        } catch (const std::exception& e) {
          std::cerr << "touchline http: uncaught exception on the pool: " << e.what() << "\n";
        } catch (...) {
          std::cerr << "touchline http: uncaught non-standard exception on the pool\n";
        }
      }
    });
  }
  return ok_status();
}

std::uint16_t HttpServer::port() const { return impl_->port; }

std::size_t HttpServer::open_connections() const {
  std::lock_guard lock(impl_->shared->mu);
  return impl_->shared->sessions.size();
}

std::uint64_t HttpServer::refused_connections() const {
  return impl_->shared->refused_connections.load(std::memory_order_relaxed);
}

bool HttpServer::post(std::function<void()> fn) {
  auto& shared = *impl_->shared;
  std::lock_guard lock(shared.mu);
  if (shared.stopped) return false;
  asio::post(shared.context_for_work(), std::move(fn));
  return true;
}

void HttpServer::post_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto shared = impl_->shared;
  std::lock_guard lock(shared->mu);
  if (shared->stopped) return;
  const auto id = shared->next_id++;
  auto timer = std::make_shared<asio::steady_timer>(shared->context_for_work(), delay);
  shared->timers.emplace(id, timer);
  // The map keeps the timer; the handler holds the shared state weakly, so a timer that never
  // fires (the server stopped before it ever ran) makes no reference cycle.
  timer->async_wait([weak = std::weak_ptr<Shared>(shared), id, fn = std::move(fn)](beast::error_code ec) {
    auto state = weak.lock();
    if (!state) return;
    {
      std::lock_guard timers_lock(state->mu);
      state->timers.erase(id);  // destroys the timer: fine from its own completion handler
    }
    if (!ec && !state->stopped) fn();
  });
}

void HttpServer::stop() {
  auto& shared = *impl_->shared;
  const bool on_pool = pool_of_this_thread == &shared;
  std::unique_lock stop_lock(impl_->stop_mu, std::defer_lock);
  if (on_pool) {
    // A pool thread must not block behind another stop(), which may be joining it: once a stop
    // has begun, this one has nothing to add.
    while (!stop_lock.try_lock()) {
      if (impl_->stopped) return;
      std::this_thread::yield();
    }
  } else {
    stop_lock.lock();
  }
  if (impl_->stopped) {
    // A stop() from a pool thread may have left the drain and the threads running: wait for them.
    if (!on_pool) impl_->join_threads();
    return;
  }
  impl_->stopped = true;

  if (!impl_->started) {
    std::lock_guard lock(shared.mu);
    shared.stopping = true;
    shared.stopped = true;
    return;
  }

  // The drain: no new connections or requests; connections without a request in flight close.
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard lock(shared.mu);
    shared.stopping = true;
    for (auto& [id, weak] : shared.sessions) {
      if (auto s = weak.lock()) sessions.push_back(std::move(s));
    }
  }
  // Every close runs on the thread of the object it closes.
  if (auto listener = impl_->listener) {
    asio::post(listener->executor(), [listener] { listener->close(); });
  }
  for (auto& s : sessions) {
    asio::post(s->executor(), [s] { s->begin_drain(); });
  }
  sessions.clear();

  const auto timeout = std::max(std::chrono::milliseconds::zero(), shared.options.drain_timeout);
  if (on_pool) {
    // Waiting here would hold a pool thread the drain may need (or wait for this very request):
    // the last request's completion, or a timer, ends the drain instead.
    bool finish_now = false;
    {
      std::lock_guard lock(shared.mu);
      if (shared.in_flight == 0) {
        finish_now = true;
      } else {
        shared.finish_when_drained = true;
        // Kept with the post_after timers, so that finish_stop() cancels it like them.
        const auto id = shared.next_id++;
        auto timer = std::make_shared<asio::steady_timer>(shared.context_for_work(), timeout);
        shared.timers.emplace(id, timer);
        timer->async_wait([weak = std::weak_ptr<Shared>(impl_->shared), id](beast::error_code ec) {
          auto state = weak.lock();
          if (!state) return;
          {
            std::lock_guard timers_lock(state->mu);
            state->timers.erase(id);
          }
          if (!ec) finish_stop(*state);
        });
      }
    }
    if (finish_now) finish_stop(shared);
  } else {
    {
      std::unique_lock lock(shared.mu);
      shared.drained.wait_for(lock, timeout, [&shared] { return shared.in_flight == 0; });
    }
    finish_stop(shared);
  }

  impl_->listener.reset();

  // Called from a pool thread (a handler stopping the server), joining would wait for this very
  // handler: the threads finish on their own once the drain is over, and a later stop() or the
  // destructor joins them (or, on a pool thread, detaches them).
  if (!on_pool) impl_->join_threads();
}

}  // namespace touchline::api
