// Following the log without polling. The event log for operators and auditors, and an
// organisation's audit log for those allowed to read it, each three ways: a page, a page that
// waits for what comes next (?wait=S, a long poll), and a live feed of Server-Sent Events
// (.../stream), each item once and in order, resumable from its position. None blocks a thread
// while it waits: the store (when_head_reaches) or the audit projection's runner (when_reached)
// calls back when it moves.
#include <atomic>
#include <memory>
#include <mutex>

#include "endpoint_helpers.h"
#include "touchline/api/api.h"
#include "touchline/api/queries.h"

namespace touchline::api {

using namespace endpoints;

namespace {

constexpr std::size_t kStreamBatch = 100;
// A comment line this often while nothing happens, so that proxies keep the connection and a
// client that went away is noticed at the next write.
constexpr std::chrono::seconds kKeepAlive{15};

// What a feed gives: items after a position, each with its position (the SSE id), a name (the
// SSE event) and its JSON; and the position through which the source has been read, so that a
// quiet stretch of a filtered source is not read again.
struct FeedItem {
  std::uint64_t position;
  std::string name;
  json data;
};
struct FeedRead {
  std::vector<FeedItem> items;
  std::uint64_t through = 0;
};

// Where a feed comes from: how to read it after a position (at most kStreamBatch items), and how
// to be called back once it has reached a position (a ticket; 0 when called at once or never) or
// stop being called back.
struct FeedSource {
  std::function<Result<FeedRead>(std::uint64_t after)> read;
  std::function<std::uint64_t(std::uint64_t position, std::function<void()> fn)> when_reached;
  std::function<void(std::uint64_t ticket)> cancel;
};

FeedSource log_source(store::EventStore& log) {
  return {[&log](std::uint64_t after) -> Result<FeedRead> {
            auto page = log.read_all(after, kStreamBatch);
            if (!page.ok()) return page.error();
            FeedRead out{{}, after};
            for (const auto& e : *page) out.items.push_back({e.position, e.type, events::to_json(e)});
            if (!out.items.empty()) out.through = out.items.back().position;
            return out;
          },
          [&log](std::uint64_t position, std::function<void()> fn) { return log.when_head_reaches(position, std::move(fn)); },
          [&log](std::uint64_t ticket) { log.cancel_head_wait(ticket); }};
}

// An organisation's audit entries as `caller` may read them, asked again on every read: a reader
// who loses the right stops reading (permission_denied). An entry is given only once both
// projections have reached it, so that the right to read it is judged at its position or later.
FeedSource audit_source(const ApiDeps& deps, std::string org, std::string caller, projections::AuditFilter requested,
                        std::size_t limit) {
  auto read = [&deps, org, caller, requested, limit](std::uint64_t after) -> Result<FeedRead> {
    const std::uint64_t committed = deps.audit_runner.position();
    std::uint64_t judged_at = 0;
    auto filter = [&] {
      const projections::PermissionView view = deps.permissions.read();
      judged_at = view.position();
      return queries::audit_filter(view, caller, org, requested);
    }();
    if (!filter.ok()) return filter.error();
    const std::uint64_t through = std::max(after, std::min(committed, judged_at));
    auto page = deps.audit.after(org, after, limit, *filter, through);
    if (!page.ok()) return page.error();
    FeedRead out{{}, through};
    for (auto& entry : page->entries) {
      if (auto opened = queries::open_personal_data(entry, deps.personal); !opened.ok()) return opened.error();
      const auto position = entry["position"].get<std::uint64_t>();
      out.items.push_back({position, entry["action"].get<std::string>(), std::move(entry)});
    }
    if (out.items.size() == limit) out.through = out.items.back().position;  // more may follow at once
    return out;
  };
  auto& audit = deps.audit_runner;
  auto& permissions = deps.permissions_runner;
  return {std::move(read),
          [&audit, &permissions](std::uint64_t position, std::function<void()> fn) {
            // Both projections, one after the other; the second wait is short (they follow the
            // same log) and is not cancelled: a caller gone by then is no longer there to call.
            return audit.when_reached(position, [&permissions, position, fn = std::move(fn)]() mutable {
              permissions.when_reached(position, std::move(fn));
            });
          },
          [&audit](std::uint64_t ticket) { audit.cancel(ticket); }};
}

// One item as Server-Sent Events: its position as the id (what Last-Event-ID resumes from), its
// name as the event, its JSON on one line.
std::string sse(const FeedItem& item) {
  return "id: " + std::to_string(item.position) + "\nevent: " + item.name + "\ndata: " + item.data.dump() + "\n\n";
}

// Each pull gives the items after the last one given, or waits for the source to move, giving a
// keep-alive comment every kKeepAlive meanwhile. A failed read (or a reader who lost the right)
// is given as an `error` event, and the stream then ends.
class Feed final : public BodyStream, public std::enable_shared_from_this<Feed> {
 public:
  Feed(FeedSource source, std::uint64_t after, const ApiDeps& deps)
      : source_(std::move(source)), through_(after), post_(deps.post), post_after_(deps.post_after) {}

  ~Feed() override { forget_ticket(); }

  void pull(std::function<void(std::optional<std::string>)> next) override {
    if (ended_) return next(std::nullopt);
    auto read = source_.read(through_);
    if (!read.ok()) {
      ended_ = true;
      const bool denied = read.error().code == ErrorCode::permission_denied;
      return next("event: error\ndata: " +
                  json{{"code", denied ? "permission_denied" : "unavailable"},
                       {"detail", denied ? read.error().message
                                         : "the log could not be read; reconnect with Last-Event-ID"}}
                      .dump() +
                  "\n\n");
    }
    through_ = read->through;
    if (!read->items.empty()) {
      std::string piece;
      for (const auto& item : read->items) piece += sse(item);
      return next(std::move(piece));
    }
    // Nothing yet: whichever comes first, the source moving or the keep-alive.
    auto answered = std::make_shared<std::atomic<bool>>(false);
    auto shared_next = std::make_shared<std::function<void(std::optional<std::string>)>>(std::move(next));
    std::weak_ptr<Feed> weak = weak_from_this();
    post_after_(kKeepAlive, [weak, answered, shared_next] {
      auto self = weak.lock();
      if (!self || answered->exchange(true)) return;
      self->forget_ticket();
      (*shared_next)(": keep-alive\n\n");
    });
    const std::uint64_t ticket = source_.when_reached(through_ + 1, [weak, answered, shared_next, post = post_] {
      // On the writer's or the runner's thread: the read goes to the server's pool.
      post([weak, answered, shared_next] {
        auto self = weak.lock();
        if (!self || answered->exchange(true)) return;
        self->forget_ticket();
        self->pull(std::move(*shared_next));
      });
    });
    std::lock_guard lock(mu_);
    if (!answered->load()) ticket_ = ticket;
  }

 private:
  void forget_ticket() {
    std::uint64_t ticket = 0;
    {
      std::lock_guard lock(mu_);
      std::swap(ticket, ticket_);
    }
    if (ticket != 0) source_.cancel(ticket);
  }

  FeedSource source_;
  std::uint64_t through_;
  bool ended_ = false;
  std::function<void(std::function<void()>)> post_;
  std::function<void(std::chrono::milliseconds, std::function<void()>)> post_after_;
  std::mutex mu_;
  std::uint64_t ticket_ = 0;  // a pending when_reached, guarded by mu_
};

// A long poll: reads after `after`; answers what it found, or, when nothing is there yet, waits
// for the source to move (reading again each time it does) until something is or `wait` passes,
// and then answers what it has (perhaps nothing). `render` turns a read into the answer.
class Poll final : public std::enable_shared_from_this<Poll> {
 public:
  using Render = std::function<HttpResponse(const FeedRead&)>;
  Poll(FeedSource source, std::uint64_t after, Render render, std::function<HttpResponse(const Error&)> fail,
       const ApiDeps& deps, Responder respond)
      : source_(std::move(source)), through_(after), render_(std::move(render)), fail_(std::move(fail)),
        post_(deps.post), post_after_(deps.post_after), respond_(std::move(respond)) {}

  void start(std::chrono::seconds wait) {
    if (!try_answer(wait.count() == 0)) {
      post_after_(wait, [self = shared_from_this()] { self->try_answer(true); });
    }
  }

 private:
  // Answers when something was read or `finally`; else waits for the source to move. Returns
  // whether the request has been answered (by this call or an earlier one).
  bool try_answer(bool finally) {
    std::lock_guard lock(mu_);
    if (answered_) return true;
    auto read = source_.read(through_);
    if (!read.ok()) return answer(fail_(read.error()));
    through_ = read->through;
    if (!read->items.empty() || finally) return answer(render_(*read));
    if (ticket_ != 0) return false;  // already waiting for the source
    ticket_ = source_.when_reached(through_ + 1, [weak = weak_from_this(), post = post_] {
      post([weak] {
        auto self = weak.lock();
        if (!self) return;
        {
          std::lock_guard lock(self->mu_);
          self->ticket_ = 0;
        }
        self->try_answer(false);
      });
    });
    return false;
  }

  bool answer(HttpResponse r) {
    answered_ = true;
    if (ticket_ != 0) source_.cancel(ticket_);
    ticket_ = 0;
    respond_(std::move(r));
    return true;
  }

  FeedSource source_;
  std::uint64_t through_;
  Render render_;
  std::function<HttpResponse(const Error&)> fail_;
  std::function<void(std::function<void()>)> post_;
  std::function<void(std::chrono::milliseconds, std::function<void()>)> post_after_;
  std::mutex mu_;  // the pool's threads may read and answer at once
  bool answered_ = false;
  std::uint64_t ticket_ = 0;
  Responder respond_;
};

// Where a stream starts: ?after=, or the Last-Event-ID a reconnecting EventSource sends back.
Result<std::uint64_t> stream_start(const std::map<std::string, std::string>& query, const HttpRequest& req) {
  if (const std::string resume = req.header("last-event-id"); !resume.empty()) {
    return parse_count({{"Last-Event-ID", resume}}, "Last-Event-ID", 0);
  }
  return parse_count(query, "after", 0);
}

HttpResponse event_stream_response(FeedSource source, std::uint64_t after, const ApiDeps& deps) {
  HttpResponse r;
  r.content_type = "text/event-stream";
  r.headers = {{"Cache-Control", "no-store"}};
  r.stream = std::make_shared<Feed>(std::move(source), after, deps);
  return r;
}

}  // namespace

void Api::events(const std::map<std::string, std::string>& query, const HttpRequest& req,
                 Responder respond) {
  if (auto denied = require_operator(req, "the event log is")) return respond(fail(*denied));
  auto after = parse_count(query, "after", 0);
  auto limit = parse_count(query, "limit", 100);
  auto wait = parse_wait(query, deps_.max_poll_wait);
  for (const auto* r : {&after, &limit}) {
    if (!r->ok()) return respond(fail(r->error()));
  }
  if (!wait.ok()) return respond(fail(wait.error()));
  if (*limit == 0 || *limit > 1000) {
    return respond(fail(invalid("limit must be between 1 and 1000", "limit")));
  }
  // The page as it always was ({events, next, head}); a long poll waits only for its first event.
  FeedSource source = log_source(deps_.log);
  source.read = [this, limit = *limit](std::uint64_t from) -> Result<FeedRead> {
    auto page = deps_.log.read_all(from, limit);
    if (!page.ok()) return page.error();
    FeedRead out{{}, from};
    for (const auto& e : *page) out.items.push_back({e.position, e.type, events::to_json(e)});
    return out;
  };
  auto render = [this, limit = *limit](const FeedRead& read) {
    json list = json::array();
    for (const auto& item : read.items) list.push_back(item.data);
    const bool full = read.items.size() == limit;
    return json_response(200, {{"events", std::move(list)},
                               {"next", full ? json(read.items.back().position) : json(nullptr)},
                               {"head", deps_.log.head_position()}});
  };
  std::make_shared<Poll>(std::move(source), *after, std::move(render), [this](const Error& e) { return fail(e); },
                         deps_, std::move(respond))
      ->start(*wait);
}

void Api::event_stream(const std::map<std::string, std::string>& query, const HttpRequest& req, Responder respond) {
  if (auto denied = require_operator(req, "the event log is")) return respond(fail(*denied));
  auto after = stream_start(query, req);
  if (!after.ok()) return respond(fail(after.error()));
  respond(event_stream_response(log_source(deps_.log), *after, deps_));
}

void Api::audit_after(const std::string& org, std::uint64_t after, std::size_t limit,
                      const projections::AuditFilter& filter, const std::string& caller, std::chrono::seconds wait,
                      Responder respond) {
  auto render = [](const FeedRead& read) {
    json entries = json::array();
    for (const auto& item : read.items) entries.push_back(item.data);
    return json_response(200, {{"entries", std::move(entries)}, {"after", read.through}, {"position", read.through}});
  };
  std::make_shared<Poll>(audit_source(deps_, org, caller, filter, limit), after, std::move(render),
                         [this](const Error& e) { return fail(e); }, deps_, std::move(respond))
      ->start(wait);
}

void Api::audit_stream(const std::string& org, const std::map<std::string, std::string>& query,
                       const HttpRequest& req, Responder respond) {
  auto caller = authenticate(req);
  if (!caller.ok()) return respond(fail(caller.error()));
  auto after = stream_start(query, req);
  if (!after.ok()) return respond(fail(after.error()));
  auto filter = parse_audit_filter(query);
  if (!filter.ok()) return respond(fail(filter.error()));
  auto min_position = parse_count(query, "min_position", 0);
  if (!min_position.ok()) return respond(fail(min_position.error()));
  after_position(deps_.permissions_runner, "permissions", *min_position, std::move(respond),
                 [this, org, caller = *caller, filter = *filter, after = *after](Responder respond) {
    // Refused before the stream starts when the caller may not read it at all.
    auto readable = [&] {
      const projections::PermissionView view = deps_.permissions.read();
      return queries::audit_filter(view, caller, org, filter);
    }();
    if (!readable.ok()) return respond(fail(readable.error()));
    respond(event_stream_response(audit_source(deps_, org, caller, filter, kStreamBatch), after, deps_));
  });
}

}  // namespace touchline::api
