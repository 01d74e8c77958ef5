// Where the `knob` Python package (python/knob: knob.serve, the Optuna-compatible
// trial, the HF callback) lives for this knob binary, so that `knob run` can put
// it on its trainers' PYTHONPATH: `import knob` then works in any trainer script,
// at the protocol version of the knob that runs it. Called by the orchestrator.
#pragma once

#include <string>

namespace knob {

// <prefix>/share/knob/python beside an installed knob, else the source tree's
// python/ folder this binary was built from; "" when neither exists.
std::string KnobPythonDir();

}  // namespace knob
