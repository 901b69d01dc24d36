// IdMap: an organisation's members and assignments, keyed by account id. Ordered, as member lists
// page and snapshots serialise them, and hashed, because the permission check looks up a subject
// and a target in every call: a lookup costs a hash, not a walk down a tree of every member.
#pragma once

#include <initializer_list>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/unordered/unordered_flat_map.hpp>
#include <nlohmann/json.hpp>

namespace touchline::domain {

// Every operation keeps the index equal to the ordered keys: inserts and erases go through both.
// Not thread-safe for writers; concurrent readers are safe, as with std::map.
template <class V>
class IdMap {
 public:
  using Ordered = std::map<std::string, V, std::less<>>;
  using value_type = typename Ordered::value_type;
  using iterator = typename Ordered::iterator;
  using const_iterator = typename Ordered::const_iterator;
  using size_type = typename Ordered::size_type;

  IdMap() = default;
  IdMap(std::initializer_list<value_type> init) : ordered_(init) { reindex(); }
  IdMap(const IdMap& other) : ordered_(other.ordered_) { reindex(); }
  IdMap& operator=(const IdMap& other) {
    if (this != &other) {
      ordered_ = other.ordered_;
      reindex();
    }
    return *this;
  }
  // Moving a node-based map moves its nodes: the index's iterators stay valid.
  IdMap(IdMap&&) noexcept = default;
  IdMap& operator=(IdMap&& other) noexcept {
    if (this != &other) {
      ordered_ = std::move(other.ordered_);
      index_ = std::move(other.index_);
    }
    return *this;
  }

  iterator begin() { return ordered_.begin(); }
  iterator end() { return ordered_.end(); }
  const_iterator begin() const { return ordered_.begin(); }
  const_iterator end() const { return ordered_.end(); }
  size_type size() const { return ordered_.size(); }
  bool empty() const { return ordered_.empty(); }

  const_iterator find(std::string_view id) const {
    auto it = index_.find(id);
    return it == index_.end() ? ordered_.end() : const_iterator(it->second);
  }
  bool contains(std::string_view id) const { return index_.contains(id); }
  size_type count(std::string_view id) const { return index_.count(id); }
  // Throws std::out_of_range for an id that is not here, as std::map::at does.
  const V& at(std::string_view id) const {
    auto it = index_.find(id);
    if (it == index_.end()) throw std::out_of_range("IdMap::at: no " + std::string(id));
    return it->second->second;
  }
  // The first id after `id`, in order: where a page that ended at `id` goes on.
  const_iterator upper_bound(std::string_view id) const { return ordered_.upper_bound(id); }

  V& operator[](const std::string& id) {
    auto [it, inserted] = ordered_.try_emplace(id);
    if (inserted) index_.emplace(std::string_view(it->first), it);
    return it->second;
  }
  size_type erase(std::string_view id) {
    auto it = index_.find(id);
    if (it == index_.end()) return 0;
    const iterator node = it->second;
    index_.erase(it);  // before the node: the index's key views the node's string
    ordered_.erase(node);
    return 1;
  }

  bool operator==(const IdMap& other) const { return ordered_ == other.ordered_; }

 private:
  void reindex() {
    index_.clear();
    index_.reserve(ordered_.size());
    for (auto it = ordered_.begin(); it != ordered_.end(); ++it) index_.emplace(std::string_view(it->first), it);
  }

  Ordered ordered_;
  boost::unordered_flat_map<std::string_view, iterator> index_;
};

template <class V>
void to_json(nlohmann::json& j, const IdMap<V>& m) {
  j = nlohmann::json::object();
  for (const auto& [id, value] : m) j[id] = value;
}

// Throws nlohmann::json::type_error unless `j` is an object of V, as std::map's would.
template <class V>
void from_json(const nlohmann::json& j, IdMap<V>& m) {
  IdMap<V> out;
  for (const auto& [id, value] : j.get_ref<const nlohmann::json::object_t&>()) out[id] = value.template get<V>();
  m = std::move(out);
}

}  // namespace touchline::domain
