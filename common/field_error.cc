#include "common/field_error.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace dpmon {

absl::Status InvalidField(absl::string_view field, absl::string_view reason) {
  absl::Status s = absl::InvalidArgumentError(absl::StrCat(field, ": ", reason));
  s.SetPayload(kFieldPayload, absl::Cord(field));
  return s;
}

absl::Status AtField(const absl::Status& status, absl::string_view field) {
  if (status.ok()) return status;
  absl::Status s(status.code(), absl::StrCat(field, ": ", status.message()));
  s.SetPayload(kFieldPayload, absl::Cord(field));
  return s;
}

absl::Status WithField(absl::Status status, absl::string_view field) {
  if (status.ok()) return status;
  status.SetPayload(kFieldPayload, absl::Cord(field));
  return status;
}

std::string FieldOf(const absl::Status& status) {
  absl::optional<absl::Cord> field = status.GetPayload(kFieldPayload);
  return field ? std::string(*field) : std::string();
}

}  // namespace dpmon
