"""Merges the reliability suite's figures (pipeline/target/reliability/*.json) and the test
reports of the suite's classes into one JSON line. Called by scripts/reliability.sh."""
import glob
import json
import os
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.join(os.path.dirname(__file__), "..")


def load(name):
    path = os.path.join(ROOT, "pipeline", "target", "reliability", name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def tests():
    run = failed = 0
    slowest = {}
    for pattern in ("*/target/surefire-reports/TEST-*.xml", "*/target/failsafe-reports/TEST-*.xml"):
        for path in glob.glob(os.path.join(ROOT, pattern)):
            suite = ET.parse(path).getroot()
            run += int(suite.get("tests", 0))
            failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            slowest[suite.get("name").rsplit(".", 1)[-1]] = round(float(suite.get("time", 0)), 1)
    return {"run": run, "failed": failed, "seconds_by_class": slowest}


def main():
    status = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    crash = {g: load("crash-" + g) for g in ("exactly_once_v2", "at_least_once")}
    summary = {"reliability": "streaminfer", "passed": status == 0}
    summary["crashes"] = {g: c and c["crashes"] for g, c in crash.items()}
    summary["events"] = {g: c and c["events"] for g, c in crash.items()}
    summary["lost"] = {g: c and c["lost"] for g, c in crash.items()}
    summary["duplicated"] = {g: c and c["duplicated"] for g, c in crash.items()}
    summary["kills_with_work_pending"] = {g: c and c.get("kills_with_work_pending") for g, c in crash.items()}
    broker = load("broker-loss")
    summary["broker_loss"] = broker and {k: broker[k] for k in ("brokers", "brokers_stopped", "events", "lost", "duplicated")}
    scale = load("scale-out")
    summary["scale_out"] = scale and {k: scale[k] for k in (
        "instances", "events", "lost", "duplicated", "forecasts_compared", "max_relative_forecast_difference")}
    bad = load("bad-input")
    summary["bad_input_kinds_tried"] = bad and bad["kinds_tried"]
    summary["bad_input_dead_lettered"] = bad and bad["dead_lettered_with_expected_code"]
    summary["bad_input_codes"] = bad and bad["codes"]
    fuzz = load("fuzz")
    summary["fuzz"] = fuzz and {k: fuzz[k] for k in ("inputs", "predicted", "dead_letters", "unaccounted")}
    faults = load("model-faults")
    summary["model_faults_refused"] = faults and sum(1 for v in faults.values() if v is True)
    t = tests()
    summary["tests_run"] = t["run"]
    summary["tests_failed"] = t["failed"]
    summary["test_seconds"] = round(sum(t["seconds_by_class"].values()), 1)
    if len(sys.argv) > 2:
        summary["wall_seconds"] = int(sys.argv[2])
    print(json.dumps(summary, separators=(",", ":")))


if __name__ == "__main__":
    main()
