#include "base/input_reader.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>
#include <vector>

#include "base/utf8.h"

namespace knob {
namespace {

using nlohmann::json;

// Replaces Python's bare NaN / Infinity / -Infinity tokens (outside strings) with
// sentinel strings that nlohmann can parse; the reader turns them back into numbers.
std::string ReplaceNonFiniteTokens(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) out += text[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
    } else if (text.compare(i, 3, "NaN") == 0) {
      out += "\"\\u0001NaN\"";
      i += 2;
    } else if (text.compare(i, 8, "Infinity") == 0) {
      out += "\"\\u0001Inf\"";
      i += 7;
    } else if (text.compare(i, 9, "-Infinity") == 0) {
      out += "\"\\u0001-Inf\"";
      i += 8;
    } else {
      out += c;
    }
  }
  return out;
}

// nlohmann's DOM builder with the key path kept, nesting bounded, the sentinel
// strings turned back into non-finite numbers and the first error worded.
class BoundedBuilder {
 public:
  BoundedBuilder(json& root, const InputLimits& limits) : dom_(root, /*allow_exceptions=*/false), limits_(limits) {}

  bool null() { return Value() && dom_.null(); }
  bool boolean(bool v) { return Value() && dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return Value() && dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return Value() && dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const std::string& s) { return Value() && dom_.number_float(v, s); }
  bool string(std::string& s) {
    if (!Value()) return false;
    if (s.size() == 4 && s == "\x01NaN") return dom_.number_float(std::numeric_limits<double>::quiet_NaN(), s);
    if (s.size() == 4 && s == "\x01Inf") return dom_.number_float(std::numeric_limits<double>::infinity(), s);
    if (s.size() == 5 && s == "\x01-Inf") return dom_.number_float(-std::numeric_limits<double>::infinity(), s);
    return dom_.string(s);
  }
  bool binary(json::binary_t& b) { return Value() && dom_.binary(b); }
  bool start_object(size_t n) { return Open(false) && dom_.start_object(n); }
  bool key(std::string& k) {
    if (!frames_.back().keys.insert(k).second) {  // nlohmann would keep the last
      frames_.pop_back();  // the message names the object holding the key
      error_ = At() + KeyGivenTwice(k);
      return false;
    }
    frames_.back().key = k;
    return dom_.key(k);
  }
  bool end_object() {
    frames_.pop_back();
    return dom_.end_object();
  }
  bool start_array(size_t n) { return Open(true) && dom_.start_array(n); }
  bool end_array() {
    frames_.pop_back();
    return dom_.end_array();
  }
  bool parse_error(size_t position, const std::string& token, const nlohmann::detail::exception& e) {
    if (!error_.empty()) return false;
    if (e.id == 406) error_ = At(/*pending_value=*/true) + "number " + QuoteForMessage(token, 40) + " is out of range";
    else error_ = "malformed JSON at byte " + std::to_string(position);
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  struct Frame {
    bool array = false;
    std::string key;
    long index = -1;
    std::set<std::string> keys;  // of an object, so far
  };

  // Counts a value and moves the array index it sits at.
  bool Value() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    if (++values_ > limits_.max_values) {
      error_ = "more than " + std::to_string(limits_.max_values) + " values";
      return false;
    }
    return true;
  }
  bool Open(bool array) {
    if (!Value()) return false;
    if (static_cast<int>(frames_.size()) >= limits_.max_depth) {
      error_ = At() + "nested deeper than " + std::to_string(limits_.max_depth) + " levels";
      return false;
    }
    frames_.push_back({array, "", -1});
    return true;
  }
  // The key path; with `pending_value`, of the array element whose value is being read.
  std::string At(bool pending_value = false) const {
    std::string path;
    for (size_t i = 0; i < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      bool last = i + 1 == frames_.size();
      if (f.array) path += "[" + std::to_string(f.index + (last && pending_value ? 1 : 0)) + "]";
      else path += (path.empty() ? "" : ".") + f.key;
    }
    if (path.size() > 80) path = path.substr(0, 60) + "..." + path.substr(path.size() - 16);
    return path.empty() ? "" : "at " + path + ": ";
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  const InputLimits& limits_;
  std::vector<Frame> frames_;
  size_t values_ = 0;
  std::string error_;
};

Error TooLarge(const std::string& what, size_t size, size_t max) {
  return Error::BadInput(what + ": " + std::to_string(size) + " bytes is more than the limit of " +
                         std::to_string(max));
}

}  // namespace

Result<json> ParseJsonText(const std::string& what, const std::string& text, const InputLimits& limits) {
  if (text.size() > limits.max_bytes) return TooLarge(what, text.size(), limits.max_bytes);
  if (auto bad = FirstInvalidUtf8(text))
    return Error::BadInput(what + ": invalid UTF-8 at byte " + std::to_string(*bad));
  json root;
  BoundedBuilder builder(root, limits);
  bool ok = false;
  try {
    ok = json::sax_parse(ReplaceNonFiniteTokens(text), &builder);
  } catch (const std::exception& e) {  // allocation failures, or anything the library adds
    return Error::BadInput(what + ": " + e.what());
  }
  if (!ok) {
    std::string message = builder.error().empty() ? "malformed JSON" : builder.error();
    if (message.rfind("malformed JSON", 0) == 0) message += ": " + PrintableExcerpt(text);
    return Error::BadInput(what + ": " + message);
  }
  return root;
}

std::string KeyGivenTwice(std::string_view key) { return "key " + QuoteForMessage(key) + " appears twice"; }

Result<double> ParseNumber(const std::string& what, std::string_view text) {
  std::string copy(text);
  char* end = nullptr;
  errno = 0;
  double value = copy.empty() || std::isspace(static_cast<unsigned char>(copy[0]))
                     ? 0
                     : std::strtod(copy.c_str(), &end);
  if (!end || end != copy.c_str() + copy.size() || std::isnan(value) ||
      copy.find_first_of("xXpP") != std::string::npos ||  // no hexadecimal floats
      copy.find_first_of("iInN") != std::string::npos)    // nor inf / nan words
    return Error::BadInput(what + ": expected a number, got " + QuoteForMessage(text));
  if (!std::isfinite(value) || (errno == ERANGE && std::fabs(value) > 1))
    return Error::BadInput(what + ": " + QuoteForMessage(text) + " is out of range");
  return value;
}

Result<int64_t> ParseInteger(const std::string& what, std::string_view text) {
  std::string_view digits = text.size() > 1 && text[0] == '+' ? text.substr(1) : text;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec == std::errc::result_out_of_range)
    return Error::BadInput(what + ": " + QuoteForMessage(text) + " is out of range");
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty())
    return Error::BadInput(what + ": expected an integer, got " + QuoteForMessage(text));
  return value;
}

Status CheckText(const std::string& what, std::string_view text, size_t max_bytes) {
  if (text.size() > max_bytes) return TooLarge(what, text.size(), max_bytes);
  if (auto bad = FirstInvalidUtf8(text))
    return Error::BadInput(what + ": invalid UTF-8 at byte " + std::to_string(*bad));
  return {};
}

std::string QuoteForMessage(std::string_view text, size_t max) {
  return "'" + PrintableExcerpt(text.substr(0, max)) + "'" + (text.size() > max ? "..." : "");
}

std::string PrintableExcerpt(std::string_view text, size_t max) {
  std::string out;
  size_t shown = std::min(text.size(), max);
  for (size_t i = 0; i < shown;) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      auto bad = FirstInvalidUtf8(text.substr(i, std::min<size_t>(4, text.size() - i)));
      size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      if (!bad || *bad >= length) {  // a whole well-formed character
        out.append(text.substr(i, length));
        i += length;
        continue;
      }
    }
    if (c < 0x20 || c == 0x7F || c >= 0x80) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  if (text.size() > max) out += "...";
  return out;
}

std::vector<std::string> SplitCommas(std::string_view text) {
  std::vector<std::string> items;
  for (size_t start = 0;;) {
    size_t comma = text.find(',', start);
    items.emplace_back(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) return items;
    start = comma + 1;
  }
}

}  // namespace knob
