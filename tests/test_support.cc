#include "test_support.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <fstream>
#include <random>
#include <sstream>

#include <SQLiteCpp/SQLiteCpp.h>
#include <libpq-fe.h>

extern char** environ;

namespace knob::testing {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

}  // namespace

TempDir::TempDir() {
  std::random_device device;
  path_ = std::filesystem::temp_directory_path() /
          ("knob-test-" + std::to_string(getpid()) + "-" + std::to_string(device()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

namespace {

std::vector<std::string> EnvironmentWith(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.push_back(*e);
  for (const auto& var : extra) {
    std::string name = var.substr(0, var.find('=') + 1);
    env.erase(std::remove_if(env.begin(), env.end(),
                             [&](const std::string& e) { return e.rfind(name, 0) == 0; }),
              env.end());
    env.push_back(var);
  }
  return env;
}

// posix_spawn of argv with this environment plus `extra_env`; its return value.
int SpawnWith(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
              const posix_spawn_file_actions_t* actions, pid_t* pid) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env = EnvironmentWith(extra_env);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  return posix_spawn(pid, args[0], actions, nullptr, args.data(), envp.data());
}

}  // namespace

int StartKnob(const std::vector<std::string>& args, const std::string& dir) {
  std::string out_path = dir + "/knob.out", err_path = dir + "/knob.err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  std::vector<std::string> argv{KNOB_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = -1;
  if (SpawnWith(argv, {}, &actions, &pid) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

int WaitFor(int pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env) {
  TempDir scratch;
  std::string out_path = scratch.File("out"), err_path = scratch.File("err");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid;
  ProcessResult result;
  if (SpawnWith(argv, extra_env, &actions, &pid) != 0) {
    posix_spawn_file_actions_destroy(&actions);
    result.err = "spawn failed";
    return result;
  }
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  return result;
}

PipedProcess::PipedProcess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int spawned = SpawnWith(argv, extra_env, &actions, &pid);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (spawned != 0) {
    close(fds[0]);
    throw std::runtime_error("spawn failed: " + argv[0]);
  }
  pid_ = pid, fd_ = fds[0];
}

PipedProcess::~PipedProcess() {
  if (!waited_) {
    kill(pid_, SIGKILL);
    Wait();
  }
  close(fd_);
}

std::optional<std::string> PipedProcess::ReadLine() {
  for (;;) {
    size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return line;
    }
    char chunk[4096];
    ssize_t n = read(fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

void PipedProcess::Signal(int signal) { kill(pid_, signal); }

int PipedProcess::Wait() {
  waited_ = true;
  return WaitFor(pid_);
}

ProcessResult RunKnob(const std::vector<std::string>& args, const std::vector<std::string>& extra_env) {
  std::vector<std::string> argv{KNOB_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, extra_env);
}

std::string DumpDatabase(const std::string& path) {
  if (!std::filesystem::exists(path)) return "";
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  std::vector<std::string> tables;
  SQLite::Statement list(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  while (list.executeStep()) tables.push_back(list.getColumn(0).getString());
  std::string dump;
  for (const auto& table : tables) {
    dump += "[" + table + "]\n";
    SQLite::Statement rows(db, "SELECT * FROM \"" + table + "\" ORDER BY 1");
    while (rows.executeStep()) {
      for (int c = 0; c < rows.getColumnCount(); ++c)
        dump += (c ? "|" : "") + rows.getColumn(c).getString();
      dump += "\n";
    }
  }
  return dump;
}

std::optional<std::string> PostgresTestUrl() {
  const char* url = std::getenv("KNOB_TEST_POSTGRES_URL");
  if (!url || !*url) return std::nullopt;
  return std::string(url);
}

namespace {

void AdminExec(const std::string& base_url, const std::string& sql) {
  PGconn* connection = PQconnectdb(base_url.c_str());
  if (PQstatus(connection) != CONNECTION_OK) {
    std::string why = PQerrorMessage(connection);
    PQfinish(connection);
    throw std::runtime_error("cannot connect to the test server " + base_url + ": " + why);
  }
  PQsetNoticeProcessor(connection, [](void*, const char*) {}, nullptr);
  PGresult* result = PQexec(connection, sql.c_str());
  std::string why = PQresultErrorMessage(result);
  bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
  PQclear(result);
  PQfinish(connection);
  if (!ok) throw std::runtime_error(sql + ": " + why);
}

}  // namespace

std::string CreatePostgresDatabase(const std::string& base_url, const std::string& name) {
  AdminExec(base_url, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  AdminExec(base_url, "CREATE DATABASE " + name);
  return base_url.substr(0, base_url.rfind('/') + 1) + name;
}

void DropPostgresDatabase(const std::string& base_url, const std::string& name) {
  AdminExec(base_url, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
}

int LineCount(const std::string& text) {
  int lines = 0;
  for (char c : text) lines += c == '\n';
  if (!text.empty() && text.back() != '\n') ++lines;
  return lines;
}

}  // namespace knob::testing
