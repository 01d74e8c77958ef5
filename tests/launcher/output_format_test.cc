#include <doctest/doctest.h>

#include "launcher/output_format.h"

namespace knob {

TEST_CASE("a table row is one line however its names and values are written; columns count characters") {
  nlohmann::ordered_json a;
  a["params"] = {{"a\nb", "\x1b[31mred"}, {"\xc3\xa9", 0.5}};
  CHECK(RenderRecords({a}, OutputFormat::kTable) ==
        "+---------------+----------+\n"
        "| params_a\\x0ab | params_\xc3\xa9 |\n"
        "+---------------+----------+\n"
        "| \\x1b[31mred   |      0.5 |\n"
        "+---------------+----------+\n");
  // CSV keeps the text as it is, quoted where it holds a line break.
  CHECK(RenderRecords({a}, OutputFormat::kCsv) == "\"params_a\nb\",params_\xc3\xa9\n\x1b[31mred,0.5\n");
  nlohmann::ordered_json r;
  r["note"] = "one\rtwo";
  CHECK(RenderRecords({r}, OutputFormat::kCsv) == "note\n\"one\rtwo\"\n");
}

TEST_CASE("records render as a table, CSV and JSON") {
  nlohmann::ordered_json a, b;
  a["number"] = 0;
  a["state"] = "COMPLETE";
  a["params"] = {{"x", 0.5}};
  b["number"] = 12;
  b["state"] = "FAIL";
  b["params"] = {{"x", 1.25}, {"y", "a,b"}};
  CHECK(RenderRecords({a, b}, OutputFormat::kTable) ==
        "+--------+----------+----------+----------+\n"
        "| number | state    | params_x | params_y |\n"
        "+--------+----------+----------+----------+\n"
        "|      0 | COMPLETE |      0.5 |          |\n"
        "|     12 | FAIL     |     1.25 | a,b      |\n"
        "+--------+----------+----------+----------+\n");
  CHECK(RenderRecords({a, b}, OutputFormat::kCsv) ==
        "number,state,params_x,params_y\n0,COMPLETE,0.5,\n12,FAIL,1.25,\"a,b\"\n");
  CHECK(RenderRecords({a}, OutputFormat::kJson) ==
        "[{\"number\":0,\"state\":\"COMPLETE\",\"params\":{\"x\":0.5}}]\n");
  CHECK(RenderRecords({a}, OutputFormat::kJson, true) ==
        "{\"number\":0,\"state\":\"COMPLETE\",\"params\":{\"x\":0.5}}\n");
  // Tables show floats readably; CSV and JSON keep every digit.
  nlohmann::ordered_json c;
  c["value"] = 0.5507448204416305;
  c["lr"] = 3.769679866572656e-05;
  CHECK(RenderRecords({c}, OutputFormat::kTable).find("| 0.550745 | 3.76968e-05 |") != std::string::npos);
  CHECK(RenderRecords({c}, OutputFormat::kCsv) == "value,lr\n0.5507448204416305,3.769679866572656e-05\n");
  // A parameter first seen in a later trial (define-by-run) joins the other params' columns.
  nlohmann::ordered_json d, e;
  d["params"] = {{"x", 1}};
  d["user_attrs"] = {{"pid", 7}};
  e["params"] = {{"x", 2}, {"units", 3}};
  e["fail_reason"] = "r";
  CHECK(RenderRecords({d, e}, OutputFormat::kCsv) == "params_x,params_units,user_attrs_pid,fail_reason\n1,,7,\n2,3,,r\n");
  CHECK(ParseOutputFormat("yaml").error().message == "--format must be table, json or csv, got 'yaml'");
}

}  // namespace knob
