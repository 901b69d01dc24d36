#include "touchline/events/envelope.h"

namespace touchline::events {
namespace {

nlohmann::json hashed_fields(const Envelope& e) {
  // nlohmann::json keeps object keys sorted, which is what makes this canonical.
  return nlohmann::json{
      {"position", e.position},
      {"stream", e.stream},
      {"stream_version", e.stream_version},
      {"type", e.type},
      {"schema_version", e.schema_version},
      {"recorded_at_ms", e.recorded_at_ms},
      {"actor", e.actor},
      {"command_id", e.command_id},
      {"correlation_id", e.correlation_id},
      {"causation_id", e.causation_id},
      {"payload", e.payload},
  };
}

template <typename T>
bool read_field(const nlohmann::json& j, const char* name, T& out, Error& err) {
  auto it = j.find(name);
  bool type_ok = false;
  if (it != j.end()) {
    if constexpr (std::is_same_v<T, std::string>) {
      type_ok = it->is_string();
    } else if constexpr (std::is_unsigned_v<T>) {
      type_ok = it->is_number_unsigned();
    } else if constexpr (std::is_integral_v<T>) {
      type_ok = it->is_number_integer();
    } else {
      type_ok = it->is_object();
    }
  }
  if (!type_ok) {
    err = Error::make(ErrorCode::invalid_argument,
                      std::string("envelope field '") + name + "' is missing or has the wrong type",
                      name);
    return false;
  }
  out = it->template get<T>();
  return true;
}

}  // namespace

nlohmann::json to_json(const Envelope& e) {
  nlohmann::json j = hashed_fields(e);
  j["prev_hash"] = e.prev_hash;
  j["hash"] = e.hash;
  return j;
}

Result<Envelope> envelope_from_json(const nlohmann::json& j) {
  if (!j.is_object()) {
    return Error::make(ErrorCode::invalid_argument, "an envelope must be a JSON object");
  }
  Envelope e;
  Error err = Error::make(ErrorCode::invalid_argument, {});
  if (read_field(j, "position", e.position, err) && read_field(j, "stream", e.stream, err) &&
      read_field(j, "stream_version", e.stream_version, err) && read_field(j, "type", e.type, err) &&
      read_field(j, "schema_version", e.schema_version, err) &&
      read_field(j, "recorded_at_ms", e.recorded_at_ms, err) && read_field(j, "actor", e.actor, err) &&
      read_field(j, "command_id", e.command_id, err) &&
      read_field(j, "correlation_id", e.correlation_id, err) &&
      read_field(j, "causation_id", e.causation_id, err) && read_field(j, "payload", e.payload, err) &&
      read_field(j, "prev_hash", e.prev_hash, err) && read_field(j, "hash", e.hash, err)) {
    return e;
  }
  return err;
}

std::string canonical_bytes(const Envelope& e) { return hashed_fields(e).dump(); }

}  // namespace touchline::events
