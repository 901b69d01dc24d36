// Internal to touchline_store: the walk along the hash chain that `touchline verify` makes over
// the log (verify_log) and over an exported file (verify_export), wherever the values come from.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "touchline/store/hash_chain.h"
#include "touchline/store/merkle.h"

namespace touchline::store::detail {

// Events are read in order, a batch at a time, and each batch's events are checked alone on
// every core (an event's hash depends only on its own prev_hash and contents) while the next
// batch is read; the links between them are then checked in order, so the first bad position
// is the one a sequential walk finds.
inline constexpr std::size_t kVerifyBatch = 4096;

// A batch's values, end to end in one buffer (one allocation per batch, not per event).
struct Batch {
  std::string text;
  std::vector<std::pair<std::size_t, std::size_t>> spans;  // each value's offset and size in text
  // A problem that ends its batch (a bad key, a read error), reported once every event before it
  // has passed: the position, and what is wrong there.
  std::optional<std::pair<std::uint64_t, std::string>> key_problem;
  bool last = false;  // nothing is read after it

  std::vector<std::string_view> values() const {
    std::vector<std::string_view> out;
    out.reserve(spans.size());
    for (const auto& [from, size] : spans) out.push_back(std::string_view(text).substr(from, size));
    return out;
  }
};

// Fills `batch` (cleared first) with up to kVerifyBatch values, the first of which should be the
// event at first_position, and says whether it is the last.
using ReadBatch = std::function<void(std::uint64_t first_position, Batch& batch)>;

// Walks the chain from position 1 over what `read` gives, as verify_log describes; with `tree`,
// also appends each event's Merkle leaf hash to it (so that, when the walk passes, tree->root()
// is the root of the events walked).
VerifyReport walk_chain(const ReadBatch& read, MerkleFrontier* tree, const std::function<void(std::uint64_t)>& progress);

}  // namespace touchline::store::detail
