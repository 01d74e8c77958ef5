// libFuzzer target: a study file's text (YAML, or JSON when it starts with '{'),
// through the reader and every check of the study file. Must never crash, leak
// or hang, whatever the bytes; scripts/fuzz.sh runs it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/input_reader.h"
#include "studies/study_file.h"
#include "studies/yaml_document.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (!text.empty() && text[0] == '{') {
    auto doc = knob::ParseJsonText("fuzz.json", text);
    if (doc.ok()) (void)knob::ParseStudyFile("fuzz.json", "/tmp", *doc);
    return 0;
  }
  auto doc = knob::ParseYamlDocument("fuzz.yaml", text);
  if (doc.ok()) (void)knob::ParseStudyFile("fuzz.yaml", "/tmp", doc->root, doc->lines);
  return 0;
}
