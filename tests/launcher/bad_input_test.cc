// Every kind of bad input: one line on stderr naming the problem, exit code 2,
// nothing on stdout, and the database exactly as it was (or no file at all).
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <SQLiteCpp/SQLiteCpp.h>

#include "test_support.h"

namespace knob {
namespace {

using testing::RunKnob;

struct Case {
  std::vector<std::string> args;  // "DB" stands for the prepared storage path
  std::string message;            // the whole stderr line, without "knob: " and newline
};

// A storage with study "s": trial 0 COMPLETE, trial 1 RUNNING.
std::string Prepare(const testing::TempDir& dir) {
  std::string db = dir.File("s.db");
  REQUIRE(RunKnob({"create-study", "--storage", db, "--study", "s", "--space",
                   R"({"x": {"type": "float", "low": 0, "high": 1}})"}).exit_code == 0);
  REQUIRE(RunKnob({"ask", "--storage", db, "--study", "s"}).exit_code == 0);
  REQUIRE(RunKnob({"tell", "--storage", db, "--study", "s", "--trial", "0", "--value", "1"}).exit_code == 0);
  REQUIRE(RunKnob({"ask", "--storage", db, "--study", "s"}).exit_code == 0);
  return db;
}

void ExpectRejected(const std::vector<std::string>& args, const std::string& message,
                    const std::string& db) {
  std::string before = testing::DumpDatabase(db);
  auto r = RunKnob(args);
  INFO("knob ", [&] { std::string s; for (auto& a : args) s += a + " "; return s; }());
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(testing::LineCount(r.err) == 1);
  CHECK(r.err == "knob: " + message + "\n");
  CHECK(testing::DumpDatabase(db) == before);
}

std::vector<std::string> Substitute(std::vector<std::string> args, const std::string& db) {
  for (auto& a : args)
    if (a == "DB") a = db;
  return args;
}

}  // namespace

TEST_CASE("bad search spaces and study options create nothing") {
  testing::TempDir dir;
  std::string fresh = dir.File("new.db");
  auto space = [](const std::string& json) {
    return std::vector<std::string>{"create-study", "--storage", "DB", "--study", "n", "--space", json};
  };
  std::vector<Case> cases = {
      {space(R"({"x": {"type": "float", "low": 1, "high": 0}})"),
       "parameter 'x': low 1 is greater than high 0"},
      {space(R"({"x": {"type": "float", "low": 0, "high": 1, "log": true}})"),
       "parameter 'x': log needs low > 0, got low 0"},
      {space(R"({"x": {"type": "float", "low": 0.1, "high": 1, "log": true, "step": 0.1}})"),
       "parameter 'x': log and step cannot be used together"},
      {space(R"({"x": {"type": "float", "low": 0, "high": 1, "step": 0.3}})"),
       "parameter 'x': step 0.3 does not divide [0, 1]; the last step ends at 0.9"},
      {space(R"({"c": {"type": "categorical", "choices": []}})"), "parameter 'c': choices is empty"},
      {space(R"({"x": {"type": "float", "low": 0, "high": 1, "low": 0.5}})"), "--space: at x: key 'low' appears twice"},
      {space(R"({"x": {"type": "float", "low": -1e308, "high": 1e308}})"),
       "parameter 'x': the range [-1e+308, 1e+308] is wider than a double holds (high - low overflows)"},
      {space(R"({"n": {"type": "int", "low": -4611686018427387904, "high": 0}})"),
       "parameter 'n': 'low' must be an integer between -9e15 and 9e15, got -4611686018427387904"},
      // A name with control characters stays one printable line.
      {space(R"({"a\nb\u0000c": {"type": "normal"}})"),
       "parameter 'a\\x0ab\\x00c': 'type' must be float, int or categorical, got \"normal\""},
      // However large the value quoted, the line is cut (2000 bytes, then "...").
      {space("{\"x\": \"" + std::string(100000, 'v') + "\"}"),
       "parameter 'x': expected an object like {\"type\": \"float\", ...}, got \"" + std::string(1932, 'v') + "..."},
      {space(R"({"c": {"type": "categorical", "choices": ["a", "a"]}})"),
       "parameter 'c': choice \"a\" appears more than once"},
      {space(R"({"x": {"type": "normal", "low": 0, "high": 1}})"),
       "parameter 'x': 'type' must be float, int or categorical, got \"normal\""},
      {space(R"({"x": {"type": "int", "low": 0, "high": 1, "size": 3}})"),
       "parameter 'x': 'size' is not a known key"},
      {space(R"({"x": {"type": "int", "low": 0)"), "--space: malformed JSON at byte 31: {\"x\": {\"type\": \"int\", \"low\": 0"},
      {{"create-study", "--storage", "DB", "--study", "n", "--sampler", "cmaes"},
       "unknown sampler 'cmaes'; choose auto, random, grid, tpe, gp or nsga2"},
      {{"create-study", "--storage", "DB", "--study", "n", "--sampler", "tpe", "--sampler-options",
        R"({"gamma": 2})"},
       "tpe sampler: option 'gamma' must be at most 1"},
      // Sizes that would end the process (a billion candidates held at once) are refused.
      {{"create-study", "--storage", "DB", "--study", "n", "--sampler", "tpe", "--sampler-options",
        R"({"n_ei_candidates": 1000000000})"},
       "tpe sampler: option 'n_ei_candidates' must be at most 1000000"},
      {{"create-study", "--storage", "DB", "--study", "n", "--sampler", "gp", "--sampler-options",
        R"({"max_points": 100000})"},
       "gp sampler: option 'max_points' must be at most 10000"},
      {{"create-study", "--storage", "DB", "--study", "n", "--sampler", "gp", "--directions", "minimize,maximize"},
       "sampler: gp models one objective; a study of 2 objectives needs auto, tpe or nsga2"},
      {{"create-study", "--storage", "DB", "--study", "n", "--sampler", "tpe", "--sampler-options",
        R"({"n_ei": 2})"},
       "tpe sampler: unknown option 'n_ei'"},
      {space(R"({"x": {"type": "float", "low": 0, "high": 1, "when": {"m": "a"}}})"),
       "parameter 'x': 'when' names 'm', which is not in the search space"},
      {space(R"({"m": {"type": "categorical", "choices": ["a"]}, "x": {"type": "float", "low": 0, "high": 1, "when": {"m": "b"}}})"),
       "parameter 'x': 'when' value \"b\" is not a value of 'm'"},
      {{"create-study", "--storage", "DB", "--study", "n", "--sampler", "grid", "--space",
        R"({"x": {"type": "float", "low": 0, "high": 1}})"},
       "grid sampler: float parameter 'x' needs a step or explicit values (--sampler-options "
       "'{\"values\": {\"x\": [...]}}')"},
      {{"create-study", "--storage", "DB", "--study", "n", "--sampler-options", R"({"seed": -1})"},
       "auto sampler: seed must be a non-negative integer, got -1"},
      {{"create-study", "--storage", "DB", "--study", "n", "--direction", "up"},
       "direction must be minimize or maximize, got 'up'"},
      {{"create-study", "--storage", "DB", "--study", "n", "--space", "@/nonexistent/space.json"},
       "--space: cannot read file '/nonexistent/space.json'"},
      {{"create-study", "--storage", "mysql://u@h/db", "--study", "n"},
       "storage URL scheme 'mysql' is not supported; use sqlite:///path, a file path or postgresql://user@host/db"},
      {{"create-study", "--storage", "postgresql://knob:pw@127.0.0.1:1/db", "--study", "n"},
       "cannot connect to postgresql://knob:***@127.0.0.1:1/db: connection to server at \"127.0.0.1\", port 1 failed: Connection refused"},
      {{"create-study", "--storage", "postgresql://u@h:notaport/db", "--study", "n"},
       "cannot connect to postgresql://u@h:notaport/db: invalid integer value \"notaport\" for connection option \"port\""},
      // SQLAlchemy's form of an Optuna user's URL: the driver dropped, libpq connects.
      {{"create-study", "--storage", "postgresql+psycopg2://knob:pw@127.0.0.1:1/db", "--study", "n"},
       "cannot connect to postgresql://knob:***@127.0.0.1:1/db: connection to server at \"127.0.0.1\", port 1 failed: Connection refused"},
      {{"create-study", "--storage", "sqlite:///never.db?mode=ro", "--study", "n"},
       "storage URL 'sqlite:///never.db?mode=ro': option 'mode' is not supported (timeout and check_same_thread are taken and ignored)"},
      {{"create-study", "--storage", "sqlite://x.db", "--study", "n"},
       "storage URL 'sqlite://x.db' must start with sqlite:/// (three slashes)"},
      {{"create-study", "--storage", dir.File("no/such/dir/x.db"), "--study", "n"},
       "storage folder '" + dir.File("no/such/dir") + "' does not exist"},
  };
  for (const auto& c : cases) {
    ExpectRejected(Substitute(c.args, fresh), c.message, fresh);
    CHECK_FALSE(std::filesystem::exists(fresh));
  }
}

TEST_CASE("bad requests on an existing study change nothing") {
  testing::TempDir dir;
  std::string db = Prepare(dir);
  auto on = [](std::vector<std::string> args) {
    args.insert(args.end(), {"--storage", "DB", "--study", "s"});
    return args;
  };
  std::vector<Case> cases = {
      {{"ask", "--storage", "DB", "--study", "nope"}, "no study named 'nope' in " + db},
      {on({"tell", "--trial", "9", "--value", "1"}), "no trial number 9 in this study"},
      {on({"tell", "--trial", "0", "--value", "2"}),
       "trial 0 is already COMPLETE; a finished trial never changes"},
      {on({"tell", "--trial", "0", "--state", "fail"}),
       "trial 0 is already COMPLETE; a finished trial never changes"},
      {on({"report", "--trial", "0", "--step", "1", "--value", "2"}),
       "trial 0 is already COMPLETE; a finished trial never changes"},
      {on({"set-user-attr", "--trial", "0", "--key", "k", "--value", "v"}),
       "trial 0 is already COMPLETE; a finished trial never changes"},
      {on({"tell", "--trial", "1", "--value", "abc"}), "--value must be a number, got 'abc'"},
      {on({"tell", "--trial", "1"}), "tell needs --value (or --values), or --state pruned or fail"},
      {on({"tell", "--trial", "1", "--state", "done"}),
       "--state must be complete, pruned or fail, got 'done'"},
      {on({"report", "--trial", "1", "--step", "-2", "--value", "1"}), "step must be >= 0, got -2"},
      {on({"report", "--trial", "1", "--step", "2"}),
       "report needs --trial, --step and --value (an intermediate value), or -o FILE (an HTML report)"},
      {on({"report", "-o", "r.html", "--trial", "1"}),
       "report takes -o (an HTML report) or --trial/--step/--value, not both"},
      {on({"report", "-o", "/nonexistent-knob-dir/r.html"}), "-o: folder '/nonexistent-knob-dir' does not exist"},
      {on({"importance", "--objective", "1"}),
       "--objective must be 0 to 0 (study 's' has 1 objective(s)), got 1"},
      {on({"dashboard", "--port", "70000"}), "--port must be 0 to 65535, got 70000"},
      {on({"dashboard", "--host", "example.com"}),
       "--host must be an IP address (127.0.0.1, 0.0.0.0, ::1), got 'example.com'"},
      {on({"dashboard", "--host", "0.0.0.0", "--token", "short"}), "--token must be 16 to 256 characters"},
      {{"dashboard", "--storage", "DB", "--study", "nope"}, "no study named 'nope' in " + db},
      {on({"enqueue", "--params", R"({"x": )"}), "--params: malformed JSON at byte 7: {\"x\": "},
      {on({"enqueue", "--params", R"({"y": 1})"}),
       "parameter 'y' is not in the search space of study 's'"},
      {on({"enqueue", "--params", R"({"x": 3})"}), "parameter 'x': value 3 is outside its distribution"},
      {on({"enqueue", "--params", "[1]"}), "enqueued params must be a JSON object, got [1]"},
      {on({"ask", "--space", R"({"x": {"type": "float"}})"}), "parameter 'x': 'low' is missing"},
      {on({"trials", "--format", "yaml"}), "--format must be table, json or csv, got 'yaml'"},
      {on({"set-user-attr", "--key", "k"}), "set-user-attr needs exactly one of --value and --json"},
      {{"create-study", "--storage", "DB", "--study", "s"}, "study 's' already exists"},
      {{"tell", "--storage", "DB", "--trial", "1", "--value", "1"},
       "--study is required (see `knob tell --help`)"},
      {{"tell", "--storage", "DB", "--study", "s", "--trial", "x", "--value", "1"},
       "Could not convert: --trial = x (see `knob tell --help`)"},
  };
  for (const auto& c : cases) ExpectRejected(Substitute(c.args, db), c.message, db);
}

TEST_CASE("missing, unreadable, read-only, locked and non-SQLite storage files are bad input") {
  testing::TempDir dir;
  std::string db = Prepare(dir);
  std::vector<std::string> tell{"tell", "--storage", "", "--study", "s", "--trial", "1", "--value", "1"};

  std::string missing = dir.File("missing.db");
  tell[2] = missing;
  ExpectRejected(tell, "storage file '" + missing + "' does not exist", missing);
  CHECK_FALSE(std::filesystem::exists(missing));

  std::string text = dir.File("notes.txt");
  std::ofstream(text) << "these are not the tables you are looking for\n";
  tell[2] = text;
  ExpectRejected(tell, "storage file '" + text + "' is not an SQLite database", missing);
  ExpectRejected({"trials", "--storage", text, "--study", "s"},
                 "storage file '" + text + "' is not an SQLite database", missing);

  std::string empty_sqlite = dir.File("other.db");
  { SQLite::Database other(empty_sqlite, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    other.exec("CREATE TABLE t (a)"); }
  tell[2] = empty_sqlite;
  ExpectRejected(tell, "storage file '" + empty_sqlite +
                 "' holds no studies (it is not a knob or Optuna database)", empty_sqlite);

  tell[2] = dir.path().string();
  ExpectRejected(tell, "storage '" + dir.path().string() + "' is a folder, not a file", missing);

  std::string pipe = dir.File("pipe.db");  // opening it for SQLite used to block for ever
  REQUIRE(mkfifo(pipe.c_str(), 0644) == 0);
  for (const std::string& special : {pipe, std::string("/dev/null")}) {
    tell[2] = special;
    ExpectRejected(tell, "storage '" + special + "' is not a regular file (a pipe, device or socket)", missing);
    ExpectRejected({"create-study", "--storage", special, "--study", "s"},
                   "storage '" + special + "' is not a regular file (a pipe, device or socket)", missing);
  }

  tell[2] = db;
  chmod(db.c_str(), 0444);
  ExpectRejected(tell, "storage file '" + db + "' is read-only", db);
  // Reading a read-only study still works.
  CHECK(RunKnob({"trials", "--storage", db, "--study", "s"}).exit_code == 0);
  chmod(db.c_str(), 0000);
  ExpectRejected({"trials", "--storage", db, "--study", "s"},
                 "storage file '" + db + "' is not readable", missing);
  chmod(db.c_str(), 0644);

  // Another process holds the write lock for longer than the busy timeout.
  setenv("KNOB_SQLITE_BUSY_TIMEOUT_MS", "200", 1);
  {
    SQLite::Database holder(db, SQLite::OPEN_READWRITE);
    holder.exec("BEGIN EXCLUSIVE");
    auto r = RunKnob(tell);
    CHECK(r.exit_code == 2);
    CHECK(r.err == "knob: storage file '" + db + "' is locked by another process (waited 200 ms)\n");
    holder.exec("ROLLBACK");
  }
  unsetenv("KNOB_SQLITE_BUSY_TIMEOUT_MS");
  // After all that, the trial is still RUNNING and can be told.
  CHECK(RunKnob(tell).exit_code == 0);
}

}  // namespace knob
