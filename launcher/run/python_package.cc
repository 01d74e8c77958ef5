#include "launcher/run/python_package.h"

#include <filesystem>

namespace knob {

std::string KnobPythonDir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "knob" / "python";
    if (fs::exists(installed / "knob" / "__init__.py", ec)) return installed.string();
  }
#ifdef KNOB_SOURCE_PYTHON_DIR
  if (fs::exists(fs::path(KNOB_SOURCE_PYTHON_DIR) / "knob" / "__init__.py", ec)) return KNOB_SOURCE_PYTHON_DIR;
#endif
  return "";
}

}  // namespace knob
