// parse_json against nlohmann's own parser on any bytes: both refuse, or both give the same value,
// type for type, with the same text when dumped. And verify's fast path, read_canonical_text,
// against decoding: whatever text it reads must be one dump() writes, byte for byte, for the
// envelope it decodes to, and its pieces that envelope's canonical bytes; and a replay's fast path,
// read_recorded_text, against decoding: whatever it reads, decoding must read the same, and so must
// reading it into the event the input before left (the corpus holds stored envelopes for both to
// mutate). And append_json_string against nlohmann's dump, the input taken as one string.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "touchline/events/envelope.h"
#include "touchline/events/json_text.h"
#include "touchline/events/recorded_event.h"

namespace {

// The same value with the same types all the way down (json's == calls 1u and 1 equal), but for
// -0, which nlohmann keeps a signed 0 and parse_json an unsigned one (json_text.h).
bool same(const nlohmann::json& got, const nlohmann::json& want) {
  if (want.is_number_integer() && want == 0) return got.is_number_integer() && got == 0;
  if (got.type() != want.type() || got.size() != want.size()) return false;
  if (want.is_object()) {
    for (auto it = want.begin(); it != want.end(); ++it) {
      auto found = got.find(it.key());
      if (found == got.end() || !same(*found, it.value())) return false;
    }
    return true;
  }
  if (want.is_array()) {
    for (std::size_t i = 0; i < want.size(); ++i) {
      if (!same(got[i], want[i])) return false;
    }
    return true;
  }
  return got == want && got.dump() == want.dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto want = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto got = touchline::parse_json(text);
  if (want.is_discarded() != !got.has_value()) {
    std::cerr << "parse_json and nlohmann disagree on whether this is JSON\n";
    std::abort();
  }
  if (got && (!same(*got, want) || got->dump() != want.dump())) {
    std::cerr << "parse_json gave " << got->dump() << ", nlohmann " << want.dump() << "\n";
    std::abort();
  }
  if (auto canonical = touchline::events::read_canonical_text(text)) {
    if (!got) {
      std::cerr << "read_canonical_text read a text that is not JSON\n";
      std::abort();
    }
    auto e = touchline::events::envelope_from_json(*got);
    if (!e.ok() || touchline::events::to_json(*e).dump() != text) {
      std::cerr << "read_canonical_text read a text dump() would not write\n";
      std::abort();
    }
    const auto& pieces = canonical->canonical_pieces;
    if (std::string(pieces[0]) + std::string(pieces[1]) + std::string(pieces[2]) !=
            touchline::events::canonical_bytes(*e) ||
        canonical->position != e->position || canonical->hash != e->hash || canonical->prev_hash != e->prev_hash) {
      std::cerr << "read_canonical_text disagrees with decoding\n";
      std::abort();
    }
  }
  if (auto fast = touchline::events::read_recorded_text(text)) {
    const auto e = got ? touchline::events::envelope_from_json(*got) : touchline::Error::make(touchline::ErrorCode::invalid_argument, "not JSON");
    auto slow = e.ok() ? touchline::events::recorded_event(*e) : e.error();
    if (!slow.ok() || !(*slow == *fast)) {
      std::cerr << "read_recorded_text disagrees with decoding\n";
      std::abort();
    }
  }
  // A rebuild reads each event into the one before it: whatever the last input left in `reused`,
  // reading this one into it must agree with reading it afresh.
  static touchline::events::RecordedEvent reused;
  const auto fresh = touchline::events::read_recorded_text(text);
  if (touchline::events::read_recorded_text_into(text, reused) != fresh.has_value() ||
      (fresh && !(reused == *fresh))) {
    std::cerr << "read_recorded_text_into disagrees with read_recorded_text\n";
    std::abort();
  }
  // Any bytes as a string of an answer: written as nlohmann writes them.
  std::string written;
  touchline::append_json_string(written, text);
  if (written != nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) {
    std::cerr << "append_json_string wrote " << written << "\n";
    std::abort();
  }
  return 0;
}
