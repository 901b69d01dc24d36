#include "touchline/store/export.h"

#include <istream>
#include <ostream>

#include "chain_walk.h"
#include "touchline/events/envelope.h"
#include "touchline/events/json_text.h"
#include "touchline/store/event_store.h"

namespace touchline::store {
namespace {

constexpr const char* kFormat = "touchline-export";
constexpr int kVersion = 1;
constexpr std::size_t kExportBatch = 4096;
constexpr std::uint64_t kExportProgressEvery = 100'000;
// The last line starts so; an envelope's first member is "actor" (docs/LOG_FORMAT.md).
constexpr std::string_view kHeadLine = R"({"tree_head":)";

}  // namespace

Result<SignedTreeHead> export_log(const EventStore& log, const TreeHeadSigner& signer, std::int64_t now_ms,
                                  std::ostream& out, const std::function<void(std::uint64_t)>& progress) {
  auto head = sign_log_head(log, signer, now_ms);
  if (!head.ok()) return head.error();
  const std::uint64_t size = head->head.size;
  out << nlohmann::json{{"format", kFormat},
                        {"version", kVersion},
                        {"events", size},
                        {"algorithm", "Ed25519"},
                        {"public_key", public_key_hex(signer.public_key())}}
             .dump()
      << '\n';
  std::uint64_t written = 0;
  while (written < size) {
    auto page = log.read_all(written, std::min<std::uint64_t>(kExportBatch, size - written));
    if (!page.ok()) return page.error();
    if (page->empty()) {
      return Error::make(ErrorCode::internal, "the log ended at position " + std::to_string(written) +
                                                  " while exporting " + std::to_string(size) + " events");
    }
    for (const auto& e : *page) {
      out << events::to_json(e).dump() << '\n';
      if (++written % kExportProgressEvery == 0 && progress) progress(written);
    }
  }
  out << R"({"tree_head":)" << to_json(*head).dump() << "}\n";
  out.flush();
  if (!out) return Error::make(ErrorCode::internal, "writing the export failed");
  return head;
}

ExportReport verify_export(std::istream& in, const std::optional<Ed25519PublicKey>& key,
                           const std::function<void(std::uint64_t)>& progress) {
  ExportReport report;
  auto fail = [&report](std::uint64_t position, std::string problem) {
    report.ok = false;
    report.first_bad_position = position;
    report.problem = std::move(problem);
    return report;
  };

  std::string line;
  if (!std::getline(in, line)) return fail(0, "the file is empty");
  auto header = parse_json(line);
  auto member = [&header](const char* name) -> const nlohmann::json* {
    auto it = header->find(name);
    return it == header->end() ? nullptr : &*it;
  };
  if (!header || !header->is_object() || member("format") == nullptr || *member("format") != kFormat) {
    return fail(0, "the first line is not a Touchline export's header");
  }
  if (const auto* version = member("version"); version == nullptr || *version != kVersion) {
    return fail(0, "the export's version is " + (version ? version->dump() : std::string("missing")) +
                       "; this build reads version " + std::to_string(kVersion));
  }
  Ed25519PublicKey file_key{};
  const auto* public_key = member("public_key");
  if (public_key == nullptr || !public_key->is_string() ||
      !parse_public_key_hex(public_key->get<std::string>(), file_key)) {
    return fail(0, "the header's public_key is not 64 hex digits");
  }
  report.key_from_file = !key.has_value();
  report.public_key = key ? *key : file_key;

  // Envelope lines until the head's line (or the end of the file).
  std::optional<std::string> head_line;
  auto read = [&](std::uint64_t, detail::Batch& batch) {
    batch.text.clear();
    batch.spans.clear();
    batch.key_problem.reset();
    batch.last = true;
    while (batch.spans.size() < detail::kVerifyBatch && std::getline(in, line)) {
      if (std::string_view(line).substr(0, kHeadLine.size()) == kHeadLine) {
        head_line = line;
        return;
      }
      batch.spans.emplace_back(batch.text.size(), line.size());
      batch.text.append(line);
    }
    batch.last = !in.good();
  };
  MerkleFrontier tree;
  static_cast<VerifyReport&>(report) = detail::walk_chain(read, &tree, progress);
  if (!report.ok) return report;

  const std::uint64_t next = report.events_checked + 1;
  if (!head_line) return fail(next, "the file ends without its signed tree head (the last line)");
  auto head_json = parse_json(*head_line);
  if (!head_json || !head_json->is_object() || !head_json->contains("tree_head")) {
    return fail(next, "the tree head's line is not valid JSON");
  }
  auto head = signed_tree_head_from_json((*head_json)["tree_head"]);
  if (!head.ok()) return fail(next, head.error().message);
  report.head = *head;
  if (std::getline(in, line)) return fail(next, "the file goes on after its signed tree head");
  if (head->head.size != report.events_checked) {
    return fail(std::min(head->head.size, report.events_checked) + 1,
                "the signed head covers " + std::to_string(head->head.size) + " events but the file holds " +
                    std::to_string(report.events_checked));
  }
  if (head->head.root != tree.root()) {
    return fail(next, "the events do not hash to the signed head's Merkle root");
  }
  if (!verify_tree_head(report.public_key, *head)) {
    return fail(next, std::string("the tree head's signature does not verify with ") +
                          (report.key_from_file ? "the key the file names" : "the given public key"));
  }
  return report;
}

Status read_export(std::istream& in, const std::function<bool(const events::Envelope&)>& each) {
  auto bad = [](std::uint64_t line, const std::string& problem) {
    return Error::make(ErrorCode::invalid_argument, "line " + std::to_string(line) + " of the export: " + problem);
  };
  std::string line;
  if (!std::getline(in, line)) return bad(1, "the file is empty");
  auto header = parse_json(line);
  if (!header || !header->is_object() || header->value("format", "") != kFormat) {
    return bad(1, "not a Touchline export's header");
  }
  if (header->value("version", 0) != kVersion) {
    return bad(1, "the export's version is not " + std::to_string(kVersion) + ", the one this build reads");
  }
  for (std::uint64_t position = 1; std::getline(in, line); ++position) {
    if (std::string_view(line).substr(0, kHeadLine.size()) == kHeadLine) return Ok{};
    auto json = parse_json(line);
    auto envelope = json ? events::envelope_from_json(*json)
                         : Result<events::Envelope>(Error::make(ErrorCode::invalid_argument, "not JSON"));
    if (!envelope.ok()) return bad(position + 1, "not an envelope (" + envelope.error().message + ")");
    if (envelope->position != position) {
      return bad(position + 1, "the event at position " + std::to_string(envelope->position) + " where " +
                                   std::to_string(position) + " belongs");
    }
    if (!each(*envelope)) return Ok{};
  }
  if (in.bad()) return Error::make(ErrorCode::internal, "reading the export failed");
  return Ok{};
}

}  // namespace touchline::store
