// Helpers for knob's tests: temporary folders, running the real `knob` binary (or
// any program) as a subprocess and capturing its exit code and output, and a
// logical dump of an SQLite file to check that a command changed nothing.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace knob::testing {

// A fresh folder under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out;
  std::string err;
};

// Runs argv (no shell) and waits for it; `extra_env` ("NAME=value") is added to
// this process's environment.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::vector<std::string>& extra_env = {});

// Starts `knob` with `args` without waiting, its output into files under `dir`.
int StartKnob(const std::vector<std::string>& args, const std::string& dir);
// Waits for a process started by StartKnob; returns what RunProcess would.
int WaitFor(int pid);

// A process whose standard output is read line by line while it runs.
class PipedProcess {
 public:
  // Starts argv (no shell) with `extra_env` added; stderr goes to /dev/null.
  PipedProcess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {});
  ~PipedProcess();
  PipedProcess(const PipedProcess&) = delete;
  PipedProcess& operator=(const PipedProcess&) = delete;
  // The next line of its output (without the newline); nullopt at its end.
  std::optional<std::string> ReadLine();
  void Signal(int signal);
  // Waits for it; returns what RunProcess's exit_code would be.
  int Wait();

 private:
  int pid_ = -1, fd_ = -1;
  std::string buffer_;
  bool waited_ = false;
};

// Runs the `knob` binary built with these tests.
ProcessResult RunKnob(const std::vector<std::string>& args,
                      const std::vector<std::string>& extra_env = {});

// Every row of every table of an SQLite file as text, in a fixed order
// (an empty string for a missing file).
std::string DumpDatabase(const std::string& path);

// The PostgreSQL server tests may use ($KNOB_TEST_POSTGRES_URL), if any.
std::optional<std::string> PostgresTestUrl();
// Creates database `name` on the server of `base_url` (dropping an old one of
// that name) and returns the URL of the new one.
std::string CreatePostgresDatabase(const std::string& base_url, const std::string& name);
void DropPostgresDatabase(const std::string& base_url, const std::string& name);

// Number of lines in `text` (a last line without newline counts).
int LineCount(const std::string& text);

}  // namespace knob::testing
