// The one reader of outside input: UTF-8 validity, bounded depth and size, numbers
// in range, key paths in errors; and the value reader's one error form.
#include <doctest/doctest.h>

#include <cmath>

#include "base/input_reader.h"
#include "base/utf8.h"
#include "base/value_reader.h"

namespace knob {

TEST_CASE("UTF-8: well-formed text passes; overlong forms, surrogates, past U+10FFFF and cut sequences do not") {
  CHECK_FALSE(FirstInvalidUtf8("plain ascii"));
  CHECK_FALSE(FirstInvalidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // é € 😀
  CHECK(FirstInvalidUtf8("ab\xC0\xAF") == 2u);           // overlong '/'
  CHECK(FirstInvalidUtf8("\xE0\x80\xAF") == 0u);         // overlong, 3 bytes
  CHECK(FirstInvalidUtf8("x\xED\xA0\x80") == 1u);        // a surrogate
  CHECK(FirstInvalidUtf8("\xF4\x90\x80\x80") == 0u);     // past U+10FFFF
  CHECK(FirstInvalidUtf8("ok\xE2\x82") == 2u);           // cut short
  CHECK(FirstInvalidUtf8("\x80") == 0u);                 // a lone continuation byte
  CHECK(FirstInvalidUtf8("\xFF") == 0u);
}

TEST_CASE("JSON reader: depth and value limits, numbers out of range, invalid UTF-8, with the key path") {
  InputLimits limits;
  std::string at_limit = std::string(100, '[') + std::string(100, ']');
  CHECK(ParseJsonText("x", at_limit).ok());
  auto deep = ParseJsonText("x", "[" + at_limit + "]");
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().message.find("nested deeper than 100 levels") != std::string::npos);
  CHECK(deep.error().kind == ErrorKind::kBadInput);

  auto big = ParseJsonText("--params", R"({"a": {"b": [1, 2, 1e400]}})");
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().message == "--params: at a.b[2]: number '1e400' is out of range");

  // A key given twice in one object; the same key in two objects is fine.
  CHECK(ParseJsonText("s", R"({"x": 1, "x": 2})").error().message == "s: key 'x' appears twice");
  CHECK(ParseJsonText("s", R"({"a": [0, {"k": 1, "k": 1}]})").error().message == "s: at a[1]: key 'k' appears twice");
  CHECK(ParseJsonText("s", R"({"a": {"k": 1}, "b": {"k": 2}, "c": [{"k": 3}, {"k": 4}]})").ok());

  auto utf = ParseJsonText("m", "{\"k\": \"\xC3\x28\"}");
  REQUIRE_FALSE(utf.ok());
  CHECK(utf.error().message == "m: invalid UTF-8 at byte 7");

  InputLimits few;
  few.max_values = 3;
  CHECK(ParseJsonText("x", "[1, 2]", few).ok());
  CHECK_FALSE(ParseJsonText("x", "[1, 2, 3]", few).ok());
  few.max_bytes = 4;
  CHECK(ParseJsonText("x", "[1, 2]", few).error().message == "x: 6 bytes is more than the limit of 4");

  auto nonfinite = ParseJsonText("x", R"([NaN, Infinity, -Infinity, "NaN"])");
  REQUIRE(nonfinite.ok());
  CHECK(std::isnan((*nonfinite)[0].get<double>()));
  CHECK((*nonfinite)[1].get<double>() == INFINITY);
  CHECK((*nonfinite)[2].get<double>() == -INFINITY);
  CHECK((*nonfinite)[3] == "NaN");
}

TEST_CASE("number reader: whole decimal text, finite, in range") {
  CHECK(*ParseNumber("v", "1e-5") == 1e-5);
  CHECK(*ParseNumber("v", "-3") == -3);
  CHECK(*ParseNumber("v", "1e-320") == 1e-320);  // subnormal, not an overflow
  CHECK(ParseNumber("v", "1e400").error().message == "v: '1e400' is out of range");
  CHECK(ParseNumber("v", "-1e400").error().message == "v: '-1e400' is out of range");
  for (const char* bad : {"", " 1", "1 ", "0x10", "nan", "inf", "1e", "abc", "1,5"})
    CHECK(ParseNumber("v", bad).error().message.find("expected a number") != std::string::npos);
  CHECK(*ParseInteger("i", "+42") == 42);
  CHECK(ParseInteger("i", "99999999999999999999").error().message == "i: '99999999999999999999' is out of range");
  CHECK(ParseInteger("i", "1.5").error().message == "i: expected an integer, got '1.5'");
}

TEST_CASE("messages quote hostile text as one printable line") {
  CHECK(QuoteForMessage("a\nb\x01") == "'a\\x0ab\\x01'");
  CHECK(QuoteForMessage("caf\xC3\xA9") == "'caf\xC3\xA9'");
  CHECK(QuoteForMessage("\xC3\x28") == "'\\xc3('");
  CHECK(QuoteForMessage(std::string(100, 'x'), 10) == "'xxxxxxxxxx'...");
}

TEST_CASE("value reader: one error form, and the key it is about") {
  int64_t i = 0;
  Status s = ReadInt("trainer.retries", nlohmann::json(-1), 0, &i);
  CHECK(s.error().message == "trainer.retries: expected an integer >= 0, got -1");
  CHECK(s.error().key == "trainer.retries");
  CHECK(ReadInt("n", nlohmann::json(5), 0, &i, 4).error().message == "n: expected an integer <= 4, got 5");
  CHECK(ReadInt("n", nlohmann::json(18446744073709551615ull), 0, &i).error().message.find("<=") != std::string::npos);
  double d = 0;
  CHECK(ReadNumber("lr", nlohmann::json(0), 0, false, &d).error().message == "lr: expected a number > 0, got 0");
  std::string c;
  CHECK(ReadChoice("m", nlohmann::json("x"), {"a", "b", "c"}, &c).error().message == "m: expected a, b or c, got \"x\"");
  Status unknown = CheckKnownKeys("trainer", nlohmann::json{{"comand", 1}}, {"command", "timeout"});
  CHECK(unknown.error().message == "unknown key 'trainer.comand' (known here: command, timeout)");
  CHECK(unknown.error().key == "trainer.comand");
  CHECK(AboutKey(KeyError("x", "y"), "gamma").error().key == "gamma");
}

}  // namespace knob

namespace knob {

TEST_CASE("SplitCommas: the items as written, empty ones included") {
  CHECK(SplitCommas("minimize,maximize") == std::vector<std::string>{"minimize", "maximize"});
  CHECK(SplitCommas("0,,2,") == std::vector<std::string>{"0", "", "2", ""});
  CHECK(SplitCommas("") == std::vector<std::string>{""});
  CHECK(SplitCommas(" a , b") == std::vector<std::string>{" a ", " b"});
}

}  // namespace knob
