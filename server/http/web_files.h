// The dashboard's files (web/templates, web/static), built into the binary
// by CMake (web_files.cc is generated from web/).
//
// Thread-safety: immutable.
#ifndef DPMON_SERVER_HTTP_WEB_FILES_H_
#define DPMON_SERVER_HTTP_WEB_FILES_H_

#include <vector>

namespace dpmon {

struct WebFile {
  const char* path;     // "templates/layout.mustache", "static/dpmon.css"
  const char* content;  // Text.
};
const std::vector<WebFile>& WebFiles();

}  // namespace dpmon

#endif  // DPMON_SERVER_HTTP_WEB_FILES_H_
