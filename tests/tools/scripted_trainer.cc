// A trainer whose behaviour the command line picks, for tests and the
// orchestration benchmark: a real process speaking the real protocol, fast to
// start. Modes (--mode):
//   value    send a result message with --value (default: the "x" param) and exit 0
//   stdout   print {"knob_result": V} and exit 0, never touching the channel
//   curve    report a learning curve for steps 1..--steps, stop when told to prune
//   env      send a result whose metrics tell what the trial saw (devices,
//            threads, start and end times on the monotonic clock)
//   abort, segv, nan, novalue, exit (--code), hang (until stopped, or until the
//   file --release names exists: then as value), hang_hard (ignores SIGTERM)
// Hostile modes, each of which must fail only its own trial:
//   bigvalue   a result of 1e400;  bigreport  a report of 1e400, then a result
//   deep       a message nested 100,000 levels deep
//   longline   300 MB without a newline;  flood  reports without reading answers
//   badreport  reports knob must refuse (negative, fractional and string steps, no
//              value): each must be answered (exit 9 when one is not, in 10 s)
//   mistyped   a hello whose "serves" is a string (must be answered with an error),
//              then a result whose "pruned" is one (refused: the trial FAILs)
//   daemon     leaves a process in a session of its own, with an empty environment
//              (its pid in daemon.pid), then sends a result
//   linger     sends a result, then ignores SIGTERM and never exits (a hang at exit)
//   twice      sends a result, then a second one 100 higher
//   garbage    20 lines that are not JSON (answers unread), then a result
//   logflood   prints to stdout without end, 64 KiB a millisecond at most
//   enqueueflood  queues 150 trials (enqueue messages), then sends a result
//   eatmemory  writes its oom_score_adj to oom_score_adj.txt, then fills memory
//              16 MiB at a time up to 4 GiB (then sends a result)
//   chaos      one of the modes above, or value, drawn from the trial number
// --sleep-ms waits before anything else. In a trial of several processes,
// --rank-mode R:MODE and --rank-sleep-ms R:MS give rank R ($RANK) its own; curve
// mode then writes each decision it got to curve.rankR.txt.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

namespace {

double MonotonicSeconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int ControlFd() {
  const char* fd = std::getenv("KNOB_CONTROL_FD");
  return fd ? std::atoi(fd) : -1;
}

void SendLine(int fd, const std::string& line) {
  std::string text = line + "\n";
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += n;
  }
}

std::string ReadLine(int fd) {
  std::string line;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

double Param(const char* name, double fallback) {
  const char* params = std::getenv("KNOB_PARAMS");
  if (!params) return fallback;
  auto json = nlohmann::json::parse(params, nullptr, false);
  if (!json.is_object() || !json.contains(name) || !json[name].is_number()) return fallback;
  return json[name].get<double>();
}

// The next line, or "" after 10 s without one.
std::string ReadLineWithin10s(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, 10000) <= 0) return "";
  return ReadLine(fd);
}

std::string Cwd() {
  char* cwd = getcwd(nullptr, 0);
  std::string text = cwd ? cwd : "";
  std::free(cwd);
  return text;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "<unset>";
}

}  // namespace

int main(int argc, char** argv) {
  double started = MonotonicSeconds();
  std::string mode = "value";
  std::string value_text, release;
  int steps = 10, sleep_ms = 0, code = 1;
  const std::string rank = Env("RANK");
  // "R:TEXT" for this rank: TEXT.
  auto for_this_rank = [&](const std::string& arg, std::string* out) {
    size_t colon = arg.find(':');
    if (colon != std::string::npos && !rank.empty() && arg.substr(0, colon) == rank) *out = arg.substr(colon + 1);
  };
  std::string rank_mode, rank_sleep;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--mode") mode = argv[i + 1];
    else if (flag == "--rank-mode") for_this_rank(argv[i + 1], &rank_mode);
    else if (flag == "--rank-sleep-ms") for_this_rank(argv[i + 1], &rank_sleep);
    else if (flag == "--value") value_text = argv[i + 1];
    else if (flag == "--steps") steps = std::atoi(argv[i + 1]);
    else if (flag == "--sleep-ms") sleep_ms = std::atoi(argv[i + 1]);
    else if (flag == "--code") code = std::atoi(argv[i + 1]);
    else if (flag == "--release") release = argv[i + 1];
  }
  if (!rank_mode.empty()) mode = rank_mode;
  if (!rank_sleep.empty()) sleep_ms = std::atoi(rank_sleep.c_str());
  if (sleep_ms > 0) usleep(sleep_ms * 1000);
  double value = value_text.empty() ? Param("x", 0.5) : std::strtod(value_text.c_str(), nullptr);
  int fd = ControlFd();
  if (mode == "chaos") {
    // One trainer in five misbehaves, in every way the tests know.
    static const char* kModes[] = {"abort", "segv", "nan", "novalue", "exit", "hang", "hang_hard", "bigvalue",
                                   "bigreport", "deep", "longline", "flood", "badreport", "mistyped", "daemon"};
    const char* number = std::getenv("KNOB_TRIAL_NUMBER");
    unsigned long long h = (number ? std::strtoull(number, nullptr, 10) : 0) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    mode = (h % 100) < 80 ? "value" : kModes[(h >> 8) % (sizeof kModes / sizeof *kModes)];
  }
  if (mode == "bigvalue") {
    SendLine(fd, R"({"type": "result", "value": 1e400})");
    return 0;
  }
  if (mode == "bigreport") {
    SendLine(fd, R"({"type": "report", "step": 1, "value": 1e400})");
    if (ReadLineWithin10s(fd).empty()) return 9;
    SendLine(fd, nlohmann::json{{"type", "result"}, {"value", value}}.dump());
    return 0;
  }
  if (mode == "deep") {
    SendLine(fd, std::string(100000, '[') + std::string(100000, ']'));
    if (ReadLineWithin10s(fd).empty()) return 9;
    return 0;
  }
  if (mode == "longline") {
    std::string chunk(1 << 20, 'x');
    for (int i = 0; i < 300; ++i)
      if (write(fd, chunk.data(), chunk.size()) < 0) return 0;
    return 0;
  }
  if (mode == "flood") {
    std::string line = R"({"type": "report", "step": 1, "value": 0.5})" "\n";
    std::string many;
    for (int i = 0; i < 1000; ++i) many += line;
    while (write(fd, many.data(), many.size()) > 0) {
    }
    return 0;
  }
  if (mode == "badreport") {
    for (const char* bad : {R"({"type": "report", "step": -1, "value": 1})", R"({"type": "report", "step": 1.5, "value": 1})",
                            R"({"type": "report", "step": "2", "value": 1})", R"({"type": "report", "step": 3})",
                            R"({"type": "nonsense"})", "not json at all"}) {
      SendLine(fd, bad);
      auto answer = nlohmann::json::parse(ReadLineWithin10s(fd), nullptr, false);
      if (!answer.is_object() || answer.value("type", "") != "error") return 9;
    }
    SendLine(fd, nlohmann::json{{"type", "result"}, {"value", value}}.dump());
    return 0;
  }
  if (mode == "mistyped") {
    SendLine(fd, R"({"type": "hello", "protocol": 3, "serves": "yes"})");
    auto answer = nlohmann::json::parse(ReadLineWithin10s(fd), nullptr, false);
    if (!answer.is_object() || answer.value("type", "") != "error") return 9;
    SendLine(fd, nlohmann::json{{"type", "result"}, {"value", value}, {"pruned", "yes"}}.dump());
    return 0;
  }
  if (mode == "daemon") {
    pid_t child = fork();
    if (child == 0) {
      setsid();
      pid_t grandchild = fork();
      if (grandchild == 0) {
        char* no_env[] = {nullptr};
        execle("/bin/sleep", "sleep", "1000", static_cast<char*>(nullptr), no_env);
        _exit(127);
      }
      if (FILE* f = std::fopen("daemon.pid", "w")) {
        std::fprintf(f, "%d\n", grandchild);
        std::fclose(f);
      }
      _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    SendLine(fd, nlohmann::json{{"type", "result"}, {"value", value}}.dump());
    return 0;
  }
  if (mode == "linger") {
    SendLine(fd, nlohmann::json{{"type", "result"}, {"value", value}}.dump());
    signal(SIGTERM, SIG_IGN);
    for (;;) pause();
  }
  if (mode == "twice") {
    SendLine(fd, nlohmann::json{{"type", "result"}, {"value", value}}.dump());
    SendLine(fd, nlohmann::json{{"type", "result"}, {"value", value + 100}}.dump());
    return 0;
  }
  if (mode == "eatmemory") {
    if (FILE* in = std::fopen("/proc/self/oom_score_adj", "r")) {
      char score[32] = {0};
      size_t n = std::fread(score, 1, sizeof score - 1, in);
      std::fclose(in);
      if (FILE* out = std::fopen("oom_score_adj.txt", "w")) {
        std::fwrite(score, 1, n, out);
        std::fclose(out);
      }
    }
    for (int i = 0; i < 256; ++i) {
      // Every page written through a volatile pointer, so that no compiler drops the
      // unused block and the memory is really taken.
      volatile char* block = static_cast<char*>(std::malloc(16u << 20));
      if (!block) return 7;
      for (size_t at = 0; at < (16u << 20); at += 4096) block[at] = static_cast<char>(i + 1);
    }
    SendLine(fd, nlohmann::json{{"type", "result"}, {"value", value}}.dump());
    return 0;
  }
  if (mode == "logflood") {
    std::string chunk(65535, 'y');
    chunk += '\n';
    for (;;) {
      if (std::fwrite(chunk.data(), 1, chunk.size(), stdout) != chunk.size()) return 8;
      usleep(1000);
    }
  }
  if (mode == "enqueueflood") {  // a script queuing trial after trial
    for (int i = 1; i <= 150; ++i)
      SendLine(fd, nlohmann::json{{"type", "enqueue"}, {"params", {{"mode", "value"}, {"x", i / 1000.0}}}}.dump());
    SendLine(fd, nlohmann::json{{"type", "result"}, {"value", value}}.dump());
    return 0;
  }
  if (mode == "garbage") {
    for (int i = 0; i < 20; ++i) SendLine(fd, "not json " + std::to_string(i));
    SendLine(fd, nlohmann::json{{"type", "result"}, {"value", value}}.dump());
    return 0;
  }
  if (mode == "hang" && !release.empty()) {
    while (access(release.c_str(), F_OK) != 0) usleep(10000);
    mode = "value";
  }
  if (mode == "value") {
    SendLine(fd, nlohmann::json{{"type", "result"}, {"value", value}}.dump());
    return 0;
  }
  if (mode == "stdout") {
    std::printf("some output\n{\"knob_result\": %.17g}\nmore output\n", value);
    return 0;
  }
  if (mode == "curve") {
    // Rank-preserving curves: the objective (x - 0.3)^2 plus a term that shrinks with steps.
    double x = Param("x", 0.5);
    double last = 0;
    for (int step = 1; step <= steps; ++step) {
      last = (x - 0.3) * (x - 0.3) + 1.0 / step;
      SendLine(fd, nlohmann::json{{"type", "report"}, {"step", step}, {"value", last}}.dump());
      auto decision = nlohmann::json::parse(ReadLine(fd), nullptr, false);
      bool prune = decision.is_object() && decision.value("prune", false);
      if (!rank.empty())
        if (FILE* f = std::fopen(("curve.rank" + rank + ".txt").c_str(), "a")) {
          std::fprintf(f, "%d %s\n", step, prune ? "prune" : "go on");
          std::fclose(f);
        }
      if (prune) return 0;
    }
    SendLine(fd, nlohmann::json{{"type", "result"}, {"value", last}}.dump());
    return 0;
  }
  if (mode == "env") {
    nlohmann::json metrics = {{"cuda", Env("CUDA_VISIBLE_DEVICES")}, {"omp", Env("OMP_NUM_THREADS")},
                              {"worker", Env("KNOB_WORKER")}, {"start", started},
                              {"rank", Env("RANK")}, {"local_rank", Env("LOCAL_RANK")},
                              {"world_size", Env("WORLD_SIZE")}, {"master", Env("MASTER_ADDR") + ":" + Env("MASTER_PORT")},
                              {"end", MonotonicSeconds()}, {"cwd", Cwd()},
                              {"argv", std::vector<std::string>(argv + 1, argv + argc)}};
    SendLine(fd, nlohmann::json{{"type", "result"}, {"value", value}, {"metrics", metrics}}.dump());
    return 0;
  }
  if (mode == "abort") std::abort();
  if (mode == "segv") raise(SIGSEGV);
  if (mode == "nan") {
    SendLine(fd, R"({"type": "result", "value": NaN})");
    return 0;
  }
  if (mode == "novalue") return 0;
  if (mode == "exit") return code;
  if (mode == "hang_hard") signal(SIGTERM, SIG_IGN);
  if (mode == "hang" || mode == "hang_hard") {
    std::printf("hanging\n");
    std::fflush(stdout);
    while (true) pause();
  }
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 64;
}
