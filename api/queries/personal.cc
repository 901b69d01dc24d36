// What reads show of a person's own: the plain text of what the log keeps sealed, while the
// person's key exists.
#include "touchline/api/queries.h"

namespace touchline::api::queries {

Status open_personal_data(nlohmann::json& body, const store::PersonalData& personal) {
  if (body.is_object() || body.is_array()) {
    for (auto& item : body) {
      if (auto s = open_personal_data(item, personal); !s.ok()) return s;
    }
    return ok_status();
  }
  if (!body.is_string()) return ok_status();
  const auto& text = body.get_ref<const std::string&>();
  if (!store::PersonalData::is_sealed(text)) return ok_status();
  auto opened = personal.open(text);
  if (!opened.ok()) {
    // A key that cannot be read is an error; text that merely looks sealed (a client may type
    // anything into a label) is shown as typed.
    if (opened.error().reason == store::PersonalData::kDamaged) return ok_status();
    return opened.error();
  }
  body = opened->has_value() ? std::move(**opened) : std::string(kErased);
  return ok_status();
}

}  // namespace touchline::api::queries
