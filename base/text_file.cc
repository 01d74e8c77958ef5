#include "base/text_file.h"

#include <fstream>
#include <sstream>

namespace knob {

std::optional<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Status WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) return Error::Runtime("cannot write " + path);
  return {};
}

}  // namespace knob
