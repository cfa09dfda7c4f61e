#include "common/flag_help.h"

#include <algorithm>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace dpmon {
namespace {

bool IsBool(const absl::CommandLineFlag& f) {
  return f.DefaultValue() == "true" || f.DefaultValue() == "false";
}

// What the value is, in its unit where the name gives one.
std::string Placeholder(const absl::CommandLineFlag& f) {
  const absl::string_view n = f.Name();
  struct Suffix {
    const char* suffix;
    const char* placeholder;
  };
  static constexpr Suffix kSuffixes[] = {
      {"_seconds", "SECONDS"}, {"_ms", "MILLISECONDS"}, {"_mib", "MIB"},        {"_days", "DAYS"},
      {"_minutes", "MINUTES"}, {"_hours", "HOURS"},     {"_file", "FILE"},      {"_dir", "DIR"},
      {"listen", "HOST:PORT"}, {"server", "HOST:PORT"}, {"_from", "DIR"},       {"threads", "N"},
      {"as_of", "DATE"},       {"date", "DATE"},        {"period_end", "DATE"}, {"council", "ID"},
      {"account", "ID"},       {"source", "ID"}};
  for (const Suffix& s : kSuffixes) {
    if (absl::EndsWith(n, s.suffix)) return s.placeholder;
  }
  const std::string d = f.DefaultValue();
  if (!d.empty() &&
      std::all_of(d.begin(), d.end(), [](char c) { return (c >= '0' && c <= '9') || c == '-'; })) {
    return "N";
  }
  return "VALUE";
}

std::string DefaultText(const absl::CommandLineFlag& f) {
  const std::string d = f.DefaultValue();
  if (IsBool(f) || Placeholder(f) == "N" ||
      (!d.empty() && d.find_first_not_of("-0123456789") == std::string::npos)) {
    return d;
  }
  return d.empty() ? "none" : absl::StrCat("\"", d, "\"");
}

}  // namespace

std::string FlagSynopsis(absl::string_view name) {
  const absl::CommandLineFlag* f = absl::FindCommandLineFlag(name);
  if (f == nullptr) return "";
  if (IsBool(*f)) return absl::StrCat("--", name);
  return absl::StrCat("--", name, "=", Placeholder(*f));
}

std::string FlagHelp(absl::string_view name) {
  const absl::CommandLineFlag* f = absl::FindCommandLineFlag(name);
  if (f == nullptr) return "";
  return absl::StrCat("  ", FlagSynopsis(name), "  (default: ", DefaultText(*f), ")\n      ",
                      f->Help(), "\n");
}

std::string RoffEscape(absl::string_view text) {
  std::string out = absl::StrReplaceAll(text, {{"\\", "\\e"}, {"-", "\\-"}});
  // A line starting with . or ' would be a request.
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

std::string FlagManEntry(absl::string_view name) {
  const absl::CommandLineFlag* f = absl::FindCommandLineFlag(name);
  if (f == nullptr) return "";
  return absl::StrCat(".TP\n.B ", RoffEscape(FlagSynopsis(name)), "\n", RoffEscape(f->Help()),
                      " Default: ", RoffEscape(DefaultText(*f)), ".\n");
}

std::vector<std::string> FlagsDefinedIn(absl::string_view suffix) {
  std::vector<std::string> out;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (absl::EndsWith(flag->Filename(), suffix)) out.emplace_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace dpmon
