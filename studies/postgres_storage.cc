#include "studies/postgres_storage.h"

#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <cstdlib>

namespace knob {
namespace {

// Optuna 3.1's tables as its SQLAlchemy models create them on PostgreSQL (native
// enum types, SERIAL keys, the same constraint names), plus the trials(study_id)
// index of later Optuna versions.
constexpr const char* kSchema = R"SQL(
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'studydirection') THEN
    CREATE TYPE studydirection AS ENUM ('NOT_SET', 'MINIMIZE', 'MAXIMIZE'); END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'trialstate') THEN
    CREATE TYPE trialstate AS ENUM ('RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING'); END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'trialvaluetype') THEN
    CREATE TYPE trialvaluetype AS ENUM ('FINITE', 'INF_POS', 'INF_NEG'); END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'trialintermediatevaluetype') THEN
    CREATE TYPE trialintermediatevaluetype AS ENUM ('FINITE', 'INF_POS', 'INF_NEG', 'NAN'); END IF;
END $$;
CREATE TABLE IF NOT EXISTS studies (study_id SERIAL PRIMARY KEY, study_name VARCHAR(512) NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS ix_studies_study_name ON studies (study_name);
CREATE TABLE IF NOT EXISTS version_info (version_info_id INTEGER PRIMARY KEY CHECK (version_info_id = 1),
  schema_version INTEGER, library_version VARCHAR(256));
CREATE TABLE IF NOT EXISTS study_directions (study_direction_id SERIAL PRIMARY KEY,
  direction studydirection NOT NULL, study_id INTEGER NOT NULL REFERENCES studies (study_id),
  objective INTEGER NOT NULL, UNIQUE (study_id, objective));
CREATE TABLE IF NOT EXISTS study_user_attributes (study_user_attribute_id SERIAL PRIMARY KEY,
  study_id INTEGER REFERENCES studies (study_id), key VARCHAR(512), value_json TEXT, UNIQUE (study_id, key));
CREATE TABLE IF NOT EXISTS study_system_attributes (study_system_attribute_id SERIAL PRIMARY KEY,
  study_id INTEGER REFERENCES studies (study_id), key VARCHAR(512), value_json TEXT, UNIQUE (study_id, key));
CREATE TABLE IF NOT EXISTS trials (trial_id SERIAL PRIMARY KEY, number INTEGER,
  study_id INTEGER REFERENCES studies (study_id), state trialstate NOT NULL,
  datetime_start TIMESTAMP WITHOUT TIME ZONE, datetime_complete TIMESTAMP WITHOUT TIME ZONE);
CREATE INDEX IF NOT EXISTS ix_trials_study_id ON trials (study_id);
CREATE TABLE IF NOT EXISTS trial_user_attributes (trial_user_attribute_id SERIAL PRIMARY KEY,
  trial_id INTEGER REFERENCES trials (trial_id), key VARCHAR(512), value_json TEXT, UNIQUE (trial_id, key));
CREATE TABLE IF NOT EXISTS trial_system_attributes (trial_system_attribute_id SERIAL PRIMARY KEY,
  trial_id INTEGER REFERENCES trials (trial_id), key VARCHAR(512), value_json TEXT, UNIQUE (trial_id, key));
CREATE TABLE IF NOT EXISTS trial_params (param_id SERIAL PRIMARY KEY, trial_id INTEGER REFERENCES trials (trial_id),
  param_name VARCHAR(512), param_value DOUBLE PRECISION, distribution_json TEXT, UNIQUE (trial_id, param_name));
CREATE TABLE IF NOT EXISTS trial_values (trial_value_id SERIAL PRIMARY KEY,
  trial_id INTEGER NOT NULL REFERENCES trials (trial_id), objective INTEGER NOT NULL,
  value DOUBLE PRECISION, value_type trialvaluetype NOT NULL, UNIQUE (trial_id, objective));
CREATE TABLE IF NOT EXISTS trial_intermediate_values (trial_intermediate_value_id SERIAL PRIMARY KEY,
  trial_id INTEGER NOT NULL REFERENCES trials (trial_id), step INTEGER NOT NULL,
  intermediate_value DOUBLE PRECISION, intermediate_value_type trialintermediatevaluetype NOT NULL,
  UNIQUE (trial_id, step));
CREATE TABLE IF NOT EXISTS trial_heartbeats (trial_heartbeat_id SERIAL PRIMARY KEY,
  trial_id INTEGER NOT NULL UNIQUE REFERENCES trials (trial_id), heartbeat TIMESTAMP WITHOUT TIME ZONE NOT NULL);
CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL,
  CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
INSERT INTO version_info (version_info_id, schema_version, library_version) VALUES (1, 12, 'knob')
  ON CONFLICT DO NOTHING;
)SQL";

// Any fixed number: the advisory lock knob's schema changes and study creations take.
constexpr const char* kGlobalLock = "SELECT pg_advisory_xact_lock(4271828)";

std::string FirstLine(const char* text) {
  std::string line = text ? text : "";
  size_t end = line.find('\n');
  if (end != std::string::npos) line.resize(end);
  return line;
}

class PostgresRow : public SqlRow {
 public:
  PostgresRow(PGresult* result, int row) : result_(result), row_(row) {}
  bool IsNull(int column) const override { return PQgetisnull(result_, row_, column); }
  int64_t Int(int column) const override { return std::strtoll(PQgetvalue(result_, row_, column), nullptr, 10); }
  double Double(int column) const override { return std::strtod(PQgetvalue(result_, row_, column), nullptr); }
  std::string_view Text(int column) const override {
    return {PQgetvalue(result_, row_, column), static_cast<size_t>(PQgetlength(result_, row_, column))};
  }

 private:
  PGresult* result_;
  int row_;
};

class PostgresSession : public SqlSession {
 public:
  PostgresSession(std::string name, PGconn* connection) : name_(std::move(name)), connection_(connection) {}
  ~PostgresSession() override { PQfinish(connection_); }

  void Query(const std::string& sql, const std::vector<SqlValue>& params,
             const std::function<void(const SqlRow&)>& visit) override {
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      std::visit([&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
          values[i] = nullptr;
          return;
        } else if constexpr (std::is_same_v<T, std::string>) {
          texts[i] = v;
        } else if constexpr (std::is_same_v<T, double>) {
          char number[32];
          std::snprintf(number, sizeof number, "%.17g", v);
          texts[i] = number;
        } else {
          texts[i] = std::to_string(v);
        }
        values[i] = texts[i].c_str();
      }, params[i]);
    }
    // Without parameters, the simple protocol: it also runs scripts (the schema).
    PGresult* result = params.empty()
        ? PQexec(connection_, sql.c_str())
        : PQexecParams(connection_, Numbered(sql).c_str(), static_cast<int>(params.size()), nullptr,
                       values.data(), nullptr, nullptr, 0);
    ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      std::string message = FirstLine(PQresultErrorMessage(result));
      PQclear(result);
      bool lost = PQstatus(connection_) != CONNECTION_OK;
      throw SqlError(ErrorKind::kRuntime, name_ + (lost ? ": lost the connection: " : ": ") + message, lost);
    }
    try {
      for (int row = 0; row < PQntuples(result); ++row) visit(PostgresRow(result, row));
    } catch (...) {
      PQclear(result);
      throw;
    }
    PQclear(result);
  }
  void BeginWrite(std::optional<int64_t> study_id) override {
    Exec("BEGIN");
    if (study_id) Exec("SELECT study_id FROM studies WHERE study_id = ? FOR UPDATE", {*study_id});
    else Exec(kGlobalLock);
  }
  void BeginRead() override { Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); }
  void Commit() override { Exec("COMMIT"); }
  void Rollback() override { Exec("ROLLBACK"); }
  std::string Now() const override { return "LOCALTIMESTAMP"; }
  std::string SecondsSince(const std::string& column) const override {
    return "EXTRACT(EPOCH FROM (LOCALTIMESTAMP - " + column + "))";
  }
  std::string Name() const override { return name_; }

  bool Reconnect() override {
    // $KNOB_PG_RECONNECT_SECONDS bounds the wait (default 2 minutes: a server restart).
    const char* text = std::getenv("KNOB_PG_RECONNECT_SECONDS");
    double limit = text ? std::atof(text) : 120;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(limit);
    std::chrono::duration<double> pause(0.1);
    while (true) {
      PQreset(connection_);
      if (PQstatus(connection_) == CONNECTION_OK) {
        std::fprintf(stderr, "knob: %s: reconnected\n", name_.c_str());
        return true;
      }
      if (std::chrono::steady_clock::now() + pause > deadline) return false;
      std::this_thread::sleep_for(pause);
      pause = std::min<std::chrono::duration<double>>(pause * 2, std::chrono::seconds(5));
    }
  }

 private:
  // `?` placeholders as $1, $2, ... (knob's SQL has no `?` inside literals).
  static std::string Numbered(const std::string& sql) {
    std::string out;
    int n = 0;
    for (char c : sql) {
      if (c == '?') out += "$" + std::to_string(++n);
      else out += c;
    }
    return out;
  }

  std::string name_;
  PGconn* connection_;
};

}  // namespace

std::string MaskPassword(const std::string& url) {
  size_t scheme = url.find("://");
  size_t at = url.find('@', scheme == std::string::npos ? 0 : scheme + 3);
  if (scheme == std::string::npos || at == std::string::npos) return url;
  size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

Result<std::unique_ptr<PostgresStorage>> PostgresStorage::Open(const std::string& url, StorageAccess access) {
  std::string name = MaskPassword(url);
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &parse_error);
  if (!options) {
    std::string why = FirstLine(parse_error);
    PQfreemem(parse_error);
    return Error::BadInput("storage URL '" + name + "' is malformed: " + why);
  }
  PQconninfoFree(options);
  // Fail fast on a server that is down, whatever the environment says.
  std::string with_timeout = url + (url.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=10";
  PGconn* connection = PQconnectdb(with_timeout.c_str());
  if (PQstatus(connection) != CONNECTION_OK) {
    std::string why = FirstLine(PQerrorMessage(connection));
    PQfinish(connection);
    return Error::BadInput("cannot connect to " + name + ": " + why);
  }
  PQsetNoticeProcessor(connection, [](void*, const char*) {}, nullptr);  // "already exists, skipping"
  auto session = std::make_unique<PostgresSession>(name, connection);
  try {
    bool has_tables = false;
    session->Query("SELECT to_regclass('studies') IS NOT NULL AND to_regclass('trials') IS NOT NULL", {},
                   [&](const SqlRow& row) { has_tables = row.Text(0) == "t"; });
    if (!has_tables && access != StorageAccess::kCreate)
      return Error::BadInput("database " + name + " holds no studies (it is not a knob or Optuna database)");
    bool complete = false;
    session->Query("SELECT to_regclass('trial_heartbeats') IS NOT NULL AND to_regclass('ix_trials_study_id') IS NOT NULL",
                   {}, [&](const SqlRow& row) { complete = row.Text(0) == "t"; });
    if (access != StorageAccess::kRead && !complete) {
      session->Exec("BEGIN");
      session->Exec(kGlobalLock);
      session->Exec(kSchema);
      session->Exec("COMMIT");
    }
  } catch (const SqlError& e) {
    return e.ToError();
  }
  return std::unique_ptr<PostgresStorage>(new PostgresStorage(std::move(session)));
}

}  // namespace knob
