#include "launcher/run/trial_folders.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include "base/input_reader.h"
#include "base/json_text.h"
#include "base/text_file.h"
#include "studies/storage_url.h"

namespace knob {
namespace {

namespace fs = std::filesystem;

constexpr const char* kClaimFile = ".knob-study";

// Writes `text` to `path` whole and synced, or says why not (ENOSPC, EIO...).
Status WriteWhole(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error::Runtime("cannot write '" + path + "': " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int error = n < 0 ? errno : ENOSPC;
      close(fd);
      return Error::Runtime("cannot write '" + path + "': " + std::strerror(error));
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0) return Error::Runtime("cannot write '" + path + "': " + std::strerror(errno));
  return {};
}

// The storage a URL names, in one spelling: an SQLite file by its canonical path.
std::string StorageIdentity(const std::string& url) {
  Result<std::string> path = SqlitePathOf(url);
  if (!path.ok()) return url;  // a server
  std::error_code ec;
  auto canonical = fs::weakly_canonical(fs::absolute(*path), ec);
  return ec ? *path : canonical.string();
}

bool HoldsTrialFolders(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().filename().string().rfind("trial-", 0) == 0) return true;
  return false;
}

}  // namespace

Status CheckOutputFolder(const std::string& output_dir, const std::string& storage,
                         const std::string& study, std::optional<int64_t> study_id) {
  fs::path claim_path = fs::path(output_dir) / kClaimFile;
  if (auto text = ReadTextFile(claim_path.string())) {
    auto held = ParseJsonText(claim_path.string(), *text);
    bool readable = held.ok() && held->is_object();
    std::string held_study = readable ? held->value("study", std::string("?")) : "?";
    std::string held_storage = readable ? held->value("storage", std::string("?")) : "?";
    bool same_study = held_study == study && StorageIdentity(held_storage) == StorageIdentity(storage);
    if (same_study && study_id && held->value("study_id", int64_t{-1}) == *study_id) return {};
    std::string whose = same_study ? "an earlier study '" + study + "' (deleted since) of the same storage"
                                   : "study '" + held_study + "' of " + held_storage;
    return Error::BadInput("output_dir '" + output_dir + "' holds the trials of " + whose +
                           "; choose another output_dir or remove that folder");
  }
  if (HoldsTrialFolders(output_dir))
    return Error::BadInput("output_dir '" + output_dir +
                           "' holds trial folders of no known study; choose another output_dir or remove them");
  return {};
}

Status ClaimOutputFolder(const std::string& output_dir, const std::string& storage,
                         const StudyRecord& study) {
  KNOB_RETURN_IF_ERROR(CheckOutputFolder(output_dir, storage, study.name, study.study_id));
  fs::path claim_path = fs::path(output_dir) / kClaimFile;
  if (fs::exists(claim_path)) return {};  // claimed by this study already
  std::error_code ec;
  fs::create_directories(output_dir, ec);
  if (ec) return Error::BadInput("cannot create output_dir '" + output_dir + "': " + ec.message());
  // Written aside, then linked into place: workers starting together (a shared
  // study's) never read a claim half written, and the first claim stands.
  nlohmann::json claim = {{"storage", storage}, {"study", study.name}, {"study_id", study.study_id}};
  std::string aside = claim_path.string() + ".XXXXXX";
  int made = mkstemp(aside.data());  // a name no other writer has
  if (made < 0) return Error::Runtime("cannot write in '" + output_dir + "': " + std::strerror(errno));
  close(made);
  Status written = WriteWhole(aside, DumpJson(claim) + "\n");
  if (!written.ok()) {
    unlink(aside.c_str());
    return written;
  }
  int linked = link(aside.c_str(), claim_path.c_str());
  int link_errno = errno;
  unlink(aside.c_str());
  if (linked == 0) return {};
  if (link_errno != EEXIST) return Error::Runtime("cannot write '" + claim_path.string() + "': " + std::strerror(link_errno));
  return CheckOutputFolder(output_dir, storage, study.name, study.study_id);  // another worker's claim
}

int PurgeTrialFolders(const std::vector<std::string>& trial_dirs, const std::string& storage,
                      const StudyRecord& study) {
  std::map<fs::path, std::vector<fs::path>> by_output;
  for (const auto& dir : trial_dirs) {
    fs::path path = fs::path(dir).lexically_normal();
    if (path.filename().string().rfind("trial-", 0) != 0) continue;
    by_output[path.parent_path()].push_back(path);
  }
  int removed = 0;
  for (const auto& [output, trials] : by_output) {
    std::error_code ec;
    // Only a folder this very study claimed: never a path an attribute merely names.
    if (!fs::exists(output / kClaimFile, ec) ||
        !CheckOutputFolder(output.string(), storage, study.name, study.study_id).ok())
      continue;
    for (const auto& trial : trials) removed += fs::remove_all(trial, ec) > 0;
    fs::remove(output / kClaimFile, ec);
    for (const auto& entry : fs::directory_iterator(output, ec))
      if (entry.path().filename().string().rfind("knob.log", 0) == 0) fs::remove(entry.path(), ec);
    if (fs::is_empty(output, ec)) fs::remove(output, ec);
  }
  return removed;
}

std::string TrialFolder(const std::string& output_dir, int number) {
  char name[32];
  std::snprintf(name, sizeof name, "trial-%05d", number);
  return (fs::path(output_dir) / name).string();
}

Status PrepareTrialFolder(const std::string& dir, const std::string& params_json) {
  std::error_code ec;
  // The folder can only be this study's own leftover (trial numbers are never
  // handed out twice and the output folder is claimed): start it afresh.
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) return Error::Runtime("cannot create trial folder '" + dir + "': " + ec.message());
  KNOB_RETURN_IF_ERROR(WriteWhole(dir + "/params.json", params_json));
  return WriteWhole(dir + "/trainer.log", "");
}

std::vector<std::string> LastLines(const std::string& path, int count) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  off_t size = lseek(fd, 0, SEEK_END);
  off_t start = size > (64 << 10) ? size - (64 << 10) : 0;
  std::string tail(static_cast<size_t>(size - start), '\0');
  ssize_t n = pread(fd, tail.data(), tail.size(), start);
  close(fd);
  tail.resize(n > 0 ? static_cast<size_t>(n) : 0);
  std::vector<std::string> lines;
  size_t end = tail.size();
  while (end > 0 && static_cast<int>(lines.size()) < count) {
    size_t newline = tail.rfind('\n', end - 1);
    size_t begin = newline == std::string::npos ? 0 : newline + 1;
    std::string line = tail.substr(begin, end - begin);
    if (line.find_first_not_of(" \t\r") != std::string::npos) lines.insert(lines.begin(), PrintableExcerpt(line, 200));
    if (newline == std::string::npos || (begin == 0 && start > 0)) break;
    end = newline;
  }
  return lines;
}

int RemoveCheckpoints(const std::string& trial_dir) {
  std::error_code ec;
  std::vector<fs::path> found;
  fs::recursive_directory_iterator it(trial_dir, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (it.depth() > 2) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink(ec) || !it->is_directory(ec)) continue;
    if (it->path().filename().string().rfind("checkpoint-", 0) == 0) {
      found.push_back(it->path());
      it.disable_recursion_pending();
    }
  }
  int removed = 0;
  for (const auto& path : found) {
    std::error_code remove_error;
    fs::remove_all(path, remove_error);
    removed += !remove_error;
  }
  return removed;
}

}  // namespace knob
