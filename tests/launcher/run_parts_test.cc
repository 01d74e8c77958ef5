// The parts of `knob run` that are pure functions: trainer messages, verdicts,
// slot planning, placeholders and durations.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cmath>
#include <thread>
#include <vector>

#include "base/duration.h"
#include "launcher/run/slots.h"
#include "launcher/run/trainer_messages.h"
#include "launcher/run/trial_folders.h"
#include "launcher/run/trial_verdict.h"
#include "search/pareto.h"
#include "studies/study_file.h"
#include "test_support.h"

namespace knob {

TEST_CASE("trainer messages: reports, results, Python's non-finite numbers, metrics as the value") {
  auto report = ParseTrainerMessage(R"({"type":"report","step":3,"value":0.5})", "");
  REQUIRE(report.ok());
  CHECK(report->type == TrainerMessage::Type::kReport);
  CHECK(report->step == 3);
  CHECK(*report->value == 0.5);
  auto nan = ParseTrainerMessage(R"({"type": "result", "value": NaN})", "");
  CHECK(std::isnan(*nan->value));
  auto inf = ParseTrainerMessage(R"({"type": "result", "value": -Infinity})", "");
  CHECK(*inf->value == -INFINITY);
  auto by_metric = ParseTrainerMessage(R"({"type":"report","step":1,"metrics":{"eval_accuracy":0.9,"loss":2}})",
                                       "eval_accuracy");
  CHECK(*by_metric->value == 0.9);
  CHECK(by_metric->metrics["loss"] == 2);
  auto no_value = ParseTrainerMessage(R"({"type":"report","step":1,"metrics":{"loss":2}})", "eval_accuracy");
  CHECK(no_value.error().message ==
        R"(trainer report without a value or metric 'eval_accuracy': {"type":"report","step":1,"metrics":{"loss":2}})");
  CHECK(ParseTrainerMessage(R"({"type":"report","value":1})", "").error().message ==
        R"(trainer report: "step" must be an integer >= 0: {"type":"report","value":1})");
  CHECK(ParseTrainerMessage(R"({"type":"hi"})", "").error().message == "unknown trainer message type 'hi'");
  CHECK(DecisionLine(true) == "{\"type\":\"decision\",\"prune\":true}\n");
}

TEST_CASE("trainer messages, protocol 2: hello, suggest, user_attr, fail, a self-pruned result; knob's answers") {
  auto hello = ParseTrainerMessage(R"({"type":"hello","protocol":2,"serves":true})", "");
  REQUIRE(hello.ok());
  CHECK(hello->type == TrainerMessage::Type::kHello);
  CHECK(hello->serves);
  CHECK_FALSE(hello->prunes_itself);
  CHECK_FALSE(ParseTrainerMessage(R"({"type":"hello","protocol":1})", "")->serves);
  auto optuna_like = ParseTrainerMessage(R"({"type":"hello","protocol":3,"serves":false,"prunes_itself":true})", "");
  REQUIRE(optuna_like.ok());
  CHECK(optuna_like->prunes_itself);
  CHECK_FALSE(optuna_like->serves);
  CHECK(ParseTrainerMessage(R"({"type":"hello","protocol":3,"prunes_itself":"yes"})", "").error().message ==
        R"(trainer hello: "prunes_itself" must be true or false: {"type":"hello","protocol":3,"prunes_itself":"yes"})");
  CHECK(ParseTrainerMessage(R"({"type":"hello","protocol":3,"serves":1})", "").error().message ==
        R"(trainer hello: "serves" must be true or false: {"type":"hello","protocol":3,"serves":1})");
  CHECK(ParseTrainerMessage(R"({"type":"result","value":1,"pruned":"yes"})", "").error().message ==
        R"(trainer result: "pruned" must be true or false: {"type":"result","value":1,"pruned":"yes"})");
  CHECK(ParseTrainerMessage(R"({"type":"hello"})", "").error().message ==
        R"(trainer hello: "protocol" must be an integer: {"type":"hello"})");
  CHECK(ParseTrainerMessage(R"({"type":"hello","protocol":4})", "").error().message ==
        "trainer hello: protocol 4 is not one knob speaks (1 to 3)");
  auto suggest = ParseTrainerMessage(R"({"type":"suggest","name":"lr","distribution":{"type":"float","low":0,"high":1}})", "");
  REQUIRE(suggest.ok());
  CHECK(suggest->type == TrainerMessage::Type::kSuggest);
  CHECK(suggest->name == "lr");
  CHECK(suggest->distribution["high"] == 1);
  CHECK(ParseTrainerMessage(R"({"type":"suggest","name":7,"distribution":{}})", "").error().message ==
        R"(trainer suggest: "name" must be a string: {"type":"suggest","name":7,"distribution":{}})");
  auto unnamed = ParseTrainerMessage(R"({"type":"suggest","name":"","distribution":{}})", "");  // Optuna allows ""
  REQUIRE(unnamed.ok());
  CHECK(unnamed->name.empty());
  CHECK(ParseTrainerMessage(R"({"type":"suggest","name":"x","distribution":[1]})", "").error().message ==
        R"(trainer suggest: "distribution" must be an object: {"type":"suggest","name":"x","distribution":[1]})");
  auto attr = ParseTrainerMessage(R"({"type":"user_attr","key":"k","value":{"a":[1,2]}})", "");
  REQUIRE(attr.ok());
  CHECK(attr->attr_value["a"][1] == 2);
  CHECK_FALSE(ParseTrainerMessage(R"({"type":"user_attr","key":"k"})", "").ok());
  CHECK_FALSE(attr->of_study);
  CHECK(ParseTrainerMessage(R"({"type":"user_attr","key":"k","value":1,"study":true})", "")->of_study);
  CHECK_FALSE(ParseTrainerMessage(R"({"type":"user_attr","key":"k","value":1,"study":"yes"})", "").ok());
  auto system = ParseTrainerMessage(R"({"type":"system_attr","key":"cv_scores","value":[0.5,0.75]})", "");
  REQUIRE(system.ok());
  CHECK(system->type == TrainerMessage::Type::kSystemAttr);
  CHECK(IsAnswered(system->type));
  CHECK(system->name == "cv_scores");
  CHECK(system->attr_value[1] == 0.75);
  CHECK(ParseTrainerMessage(R"({"type":"system_attr","key":"k"})", "").error().message ==
        R"(trainer system_attr without a "value": {"type":"system_attr","key":"k"})");
  auto enqueue = ParseTrainerMessage(R"({"type":"enqueue","params":{"x":1.5,"kind":"a"}})", "");
  REQUIRE(enqueue.ok());
  CHECK(enqueue->type == TrainerMessage::Type::kEnqueue);
  CHECK(IsAnswered(enqueue->type));
  CHECK(enqueue->params["x"] == 1.5);
  CHECK(enqueue->user_attrs == nlohmann::json::object());
  CHECK(ParseTrainerMessage(R"({"type":"enqueue","params":[1]})", "").error().message ==
        R"(trainer enqueue: "params" must be an object: {"type":"enqueue","params":[1]})");
  CHECK(ParseTrainerMessage(R"({"type":"enqueue","params":{},"user_attrs":3})", "").error().message ==
        R"(trainer enqueue: "user_attrs" must be an object: {"type":"enqueue","params":{},"user_attrs":3})");
  auto fail = ParseTrainerMessage(R"({"type":"fail","reason":"ValueError: no\nmore"})", "");
  REQUIRE(fail.ok());
  CHECK(fail->type == TrainerMessage::Type::kFail);
  CHECK(fail->reason.find('\n') == std::string::npos);
  CHECK(fail->reason.rfind("ValueError: no", 0) == 0);
  std::string long_reason(5000, 'x');
  CHECK(ParseTrainerMessage(R"({"type":"fail","reason":")" + long_reason + "\"}", "")->reason.size() <= 1010);
  CHECK(ParseTrainerMessage(R"({"type":"fail"})", "")->reason == "the trainer said it failed");
  CHECK(ParseTrainerMessage(R"({"type":"result","pruned":true})", "")->pruned);
  CHECK(IsAnswered(TrainerMessage::Type::kSuggest));
  CHECK_FALSE(IsAnswered(TrainerMessage::Type::kFail));
  CHECK(ParamLine("kind", nullptr) == "{\"name\":\"kind\",\"type\":\"param\",\"value\":null}\n");
  auto line = nlohmann::json::parse(TrialLine({7, {{"x", 1}}, "/o/trial-00007", "/o/trial-00007", "/o/trial-00007/trainer.log", ""}));
  CHECK(line["type"] == "trial");
  CHECK(line["number"] == 7);
  CHECK(line["params"]["x"] == 1);
  CHECK(line["resume_dir"].is_null());
  CHECK(TrialLine({1, {}, "a", "b", "c", "/o/trial-00000"}).find("\"resume_dir\":\"/o/trial-00000\"") != std::string::npos);
}

namespace {

FrozenTrial Finished(int number, TrialState state, std::vector<double> values, double x) {
  FrozenTrial t;
  t.number = number;
  t.state = state;
  if (!values.empty()) t.value = values[0];
  if (values.size() > 1) t.values = values;
  t.params["x"] = TrialParam{FloatDistribution{0, 10}, x};
  t.user_attrs = {{"seen", number}};
  return t;
}

}  // namespace

TEST_CASE("trainer messages, protocol 3: a study request is answered with the best trial(s) as they are now") {
  auto request = ParseTrainerMessage(R"({"type":"study"})", "");
  REQUIRE(request.ok());
  CHECK(request->type == TrainerMessage::Type::kStudy);
  CHECK(IsAnswered(TrainerMessage::Type::kStudy));

  StudyRecord record;
  record.name = "s";
  record.user_attrs = {{"dataset", "fashion"}};
  StudySnapshot snapshot;
  snapshot.direction = StudyDirection::kMaximize;
  auto answer = nlohmann::json::parse(StudyLine(record, snapshot));
  CHECK(answer["type"] == "study");
  CHECK(answer["directions"] == nlohmann::json::array({"maximize"}));
  CHECK(answer["best_trials"].empty());  // nothing COMPLETE yet
  CHECK(answer["user_attrs"]["dataset"] == "fashion");

  snapshot.trials = {Finished(0, TrialState::kComplete, {0.5}, 1), Finished(1, TrialState::kPruned, {0.99}, 2),
                     Finished(2, TrialState::kComplete, {0.75}, 3), Finished(3, TrialState::kComplete, {0.9}, 4),
                     Finished(4, TrialState::kRunning, {}, 5)};
  snapshot.trials[3].system_attrs[kConstraintsAttr] = {1.0};  // best value, but infeasible
  answer = nlohmann::json::parse(StudyLine(record, snapshot));
  CHECK(answer["n_complete"] == 3);
  REQUIRE(answer["best_trials"].size() == 1);
  CHECK(answer["best_trials"][0]["number"] == 2);
  CHECK(answer["best_trials"][0]["value"] == 0.75);
  CHECK(answer["best_trials"][0]["values"] == nlohmann::json::array({0.75}));
  CHECK(answer["best_trials"][0]["params"]["x"] == 3);
  CHECK(answer["best_trials"][0]["user_attrs"]["seen"] == 2);
  CHECK_FALSE(answer.contains("trials"));
  // With every trial (Optuna's study.trials): each state, by number.
  auto with_trials = ParseTrainerMessage(R"({"type":"study","trials":true})", "");
  REQUIRE(with_trials.ok());
  CHECK(with_trials->with_trials);
  CHECK_FALSE(request->with_trials);
  CHECK(ParseTrainerMessage(R"({"type":"study","trials":1})", "").error().message ==
        R"(trainer study: "trials" must be true or false: {"type":"study","trials":1})");
  answer = nlohmann::json::parse(StudyLine(record, snapshot, true));
  REQUIRE(answer["trials"].size() == 5);
  std::vector<std::string> states;
  for (const auto& t : answer["trials"]) states.push_back(t["state"]);
  CHECK(states == std::vector<std::string>{"COMPLETE", "PRUNED", "COMPLETE", "COMPLETE", "RUNNING"});
  CHECK(answer["trials"][1]["params"]["x"] == 2);
  CHECK(answer["trials"][4]["value"].is_null());

  // Several objectives: the Pareto front.
  StudySnapshot two;
  two.directions = {StudyDirection::kMinimize, StudyDirection::kMinimize};
  two.trials = {Finished(0, TrialState::kComplete, {1, 5}, 0), Finished(1, TrialState::kComplete, {2, 2}, 1),
                Finished(2, TrialState::kComplete, {3, 3}, 2), Finished(3, TrialState::kComplete, {5, 1}, 3)};
  answer = nlohmann::json::parse(StudyLine(record, two));
  CHECK(answer["directions"] == nlohmann::json::array({"minimize", "minimize"}));
  std::vector<int> front;
  for (const auto& t : answer["best_trials"]) front.push_back(t["number"]);
  CHECK(front == std::vector<int>{0, 1, 3});
}

TEST_CASE("trial folders: workers of one study claiming its output folder together never refuse each other") {
  // A shared study's workers start together; a claim read half written used to
  // refuse the folder as another study's ('?').
  testing::TempDir dir;
  StudyRecord study;
  study.name = "shared";
  study.study_id = 7;
  for (int round = 0; round < 200; ++round) {
    std::string output = dir.File("out" + std::to_string(round));
    std::vector<std::string> refusals(6);
    std::vector<std::thread> workers;
    for (size_t w = 0; w < refusals.size(); ++w)
      workers.emplace_back([&, w] {
        Status claimed = ClaimOutputFolder(output, "postgresql://db/x", study);
        if (!claimed.ok()) refusals[w] = claimed.error().message;
      });
    for (auto& w : workers) w.join();
    for (const auto& refusal : refusals) REQUIRE_MESSAGE(refusal.empty(), refusal);
  }
  StudyRecord other = study;
  other.name = "other";
  CHECK(ClaimOutputFolder(dir.File("out0"), "postgresql://db/x", other).error().message.find(
            "holds the trials of study 'shared' of postgresql://db/x") != std::string::npos);
}

TEST_CASE("verdicts: how a trial ended decides its state and reason") {
  TrialEnd end;
  end.log_path = "/t/trainer.log";
  end.value = 0.25;
  TrialVerdict ok = JudgeTrial(end);
  CHECK(ok.state == TrialState::kComplete);
  CHECK(*ok.value == 0.25);

  TrialEnd crashed = end;
  crashed.wait_status = SIGSEGV;  // as waitpid reports a death by SIGSEGV
  CHECK(JudgeTrial(crashed).reason == "killed by signal SIGSEGV (log: /t/trainer.log)");
  TrialEnd failed = end;
  failed.wait_status = 3 << 8;  // exit(3)
  CHECK(JudgeTrial(failed).reason == "exit code 3 (log: /t/trainer.log)");
  CHECK(JudgeTrial(failed).kind == "exit");
  TrialEnd slow = end;
  slow.timed_out = true;
  slow.timeout_seconds = 600;
  slow.wait_status = SIGTERM;
  CHECK(JudgeTrial(slow).reason == "timed out after 10m00s (log: /t/trainer.log)");
  TrialEnd nan = end;
  nan.value = NAN;
  CHECK(JudgeTrial(nan).kind == "nan");
  TrialEnd silent = end;
  silent.value.reset();
  CHECK(JudgeTrial(silent).kind == "no_result");
  TrialEnd pruned = slow;
  pruned.pruned = true;
  pruned.timed_out = false;
  CHECK(JudgeTrial(pruned).state == TrialState::kPruned);
  TrialEnd stopped = pruned;
  stopped.interrupted = true;
  CHECK(JudgeTrial(stopped).kind == "interrupted");
  // Stopped at its timeout after its result (a hang at exit): the result stands, but not NaN,
  // nor a fail message, nor no result at all.
  TrialEnd lingered = end;
  lingered.wait_status = SIGKILL;
  lingered.stopped_after_end = true;
  CHECK(JudgeTrial(lingered).state == TrialState::kComplete);
  CHECK(*JudgeTrial(lingered).value == 0.25);
  lingered.value = NAN;
  CHECK(JudgeTrial(lingered).kind == "nan");
  lingered.trainer_failure = "ValueError: no";
  CHECK(JudgeTrial(lingered).kind == "trainer");
  TrialEnd lingered_silent = silent;
  lingered_silent.wait_status = SIGKILL;
  lingered_silent.stopped_after_end = true;
  CHECK(JudgeTrial(lingered_silent).kind == "no_result");
}

TEST_CASE("slots: GPUs spread first, then stacked; CPU slots without GPUs; unknown GPUs are bad input") {
  MachineResources machine{{"0", "1", "2", "3"}, "CUDA_VISIBLE_DEVICES", 16};
  ResourceSpec spec;
  spec.gpus = "list";
  spec.gpu_ids = {"0", "1"};
  spec.trials_per_gpu = 2;
  auto slots = PlanSlots(spec, machine);
  REQUIRE(slots.ok());
  REQUIRE(slots->size() == 4);
  CHECK((*slots)[0].CudaVisibleDevices() == "0");
  CHECK((*slots)[1].CudaVisibleDevices() == "1");
  CHECK((*slots)[2].CudaVisibleDevices() == "0");
  CHECK((*slots)[3].Label() == "gpu 1");

  ResourceSpec pairs;
  pairs.gpus_per_trial = 2;
  auto paired = PlanSlots(pairs, machine);
  REQUIRE(paired->size() == 2);
  CHECK((*paired)[1].CudaVisibleDevices() == "2,3");

  ResourceSpec none;
  none.gpus = "none";
  none.cpu_slots = 3;
  auto cpu = PlanSlots(none, machine);
  REQUIRE(cpu->size() == 3);
  CHECK((*cpu)[2].CudaVisibleDevices().empty());
  CHECK((*cpu)[2].Label() == "cpu 2");
  ResourceSpec default_cpu;
  CHECK(PlanSlots(default_cpu, MachineResources{{}, "none", 6})->size() == 6);

  spec.gpu_ids = {"0", "7"};
  CHECK(PlanSlots(spec, machine).error().message ==
        "resources.gpus: GPU 7 is not available (CUDA_VISIBLE_DEVICES gives 0,1,2,3)");
  ResourceSpec greedy;
  greedy.gpus_per_trial = 5;
  CHECK(PlanSlots(greedy, machine).error().message ==
        "resources.gpus_per_trial: 5 GPUs per trial, but only 4 are used");
  CHECK(ThreadsPerProcess(16, 4) == 4);
  CHECK(ThreadsPerProcess(2, 4) == 1);
  CHECK_FALSE(ThreadsPerProcess(16, 1).has_value());  // one slot: the libraries' defaults
}

TEST_CASE("slots: processes per trial; per_gpu takes the slot's GPUs; CPU slots share the cores") {
  MachineResources gpus{{"0", "1", "2", "3"}, "CUDA_VISIBLE_DEVICES", 16};
  ResourceSpec pairs;
  pairs.gpus_per_trial = 2;
  TrainerSpec per_gpu;
  per_gpu.processes_per_gpu = true;
  auto paired = PlanSlots(pairs, gpus, per_gpu);
  REQUIRE(paired->size() == 2);
  CHECK((*paired)[1].processes == 2);
  CHECK((*paired)[1].Label() == "gpu 2,3 x2 processes");
  CHECK((*paired)[1].DeviceLabel() == "gpu 2,3");
  TrainerSpec three;
  three.processes = 3;
  CHECK((*PlanSlots(pairs, gpus, three))[0].processes == 3);

  MachineResources cores{{}, "none", 8};
  ResourceSpec cpu;
  TrainerSpec two;
  two.processes = 2;
  auto shared = PlanSlots(cpu, cores, two);
  REQUIRE(shared->size() == 4);  // 8 cores, 2 processes a trial
  CHECK((*shared)[3].Label() == "cpu 3 x2 processes");
  CHECK(PlanSlots(cpu, cores, per_gpu)->front().processes == 1);  // no GPU: one process
  TrainerSpec many;
  many.processes = 32;
  CHECK(PlanSlots(cpu, cores, many)->size() == 1);
  cpu.cpu_slots = 2;
  CHECK(PlanSlots(cpu, cores, many)->size() == 2);  // as asked
}

TEST_CASE("placeholders and durations") {
  std::map<std::string, std::string> values = {{"lr", "0.001"}, {"trial_number", "7"}};
  CHECK(*FillPlaceholders("learning_rate={lr}", values) == "learning_rate=0.001");
  CHECK(*FillPlaceholders("{{literal}} #{trial_number}", values) == "{literal} #7");
  CHECK(FillPlaceholders("{nope}", values).error().message == "no value for {nope} in '{nope}'");
  CHECK(*PlaceholderNames("a={lr},b={trial_number}") == std::vector<std::string>{"lr", "trial_number"});
  CHECK(PlaceholderNames("a={lr").error().message == "'{' without a closing '}' in 'a={lr'");
  CHECK(*ParseDuration("t", "90s") == 90);
  CHECK(*ParseDuration("t", "1h30m") == 5400);
  CHECK(*ParseDuration("t", "250ms") == 0.25);
  CHECK(*ParseDuration("t", "2") == 2);
  CHECK(ParseDuration("t", "10 minutes").error().message ==
        "t: expected a duration such as 90s, 10m, 2h or 1h30m, got '10 minutes'");
  CHECK(ShortDuration(4.25) == "4.2s");
  CHECK(ShortDuration(200) == "3m20s");
  CHECK(ShortDuration(3725) == "1h02m");
}

}  // namespace knob
