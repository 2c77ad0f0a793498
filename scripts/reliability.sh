#!/usr/bin/env bash
# Runs StreamInfer's reliability suite and ends with one JSON line of its figures:
# crash loop (20 SIGKILLs under exactly_once_v2 and at_least_once), broker loss on a 3-node
# cluster, scale-out failover, the bad-input catalogue and fuzzing, model faults, slow batches.
# Everything runs on in-process KRaft brokers bound to 127.0.0.1; about 6 minutes on 2 cores.
set -uo pipefail
cd "$(dirname "$0")/.."

rm -rf pipeline/target/reliability */target/surefire-reports */target/failsafe-reports
./mvnw -B -ntp -q install -DskipTests -DskipITs || exit 1
./mvnw -B -ntp -pl models,core,pipeline verify \
  -Dtest='ModelRepositoryTest,OnnxModelTest,StreamInferTopologyTest,BadInputFuzzTest,SlowBatchTest,StreamInferConfigTest,RouteConfigTest' \
  -Dit.test='CrashLoopIT,BrokerLossIT,ScaleOutIT,PipelineIT,CrashRecoveryIT,ModelFaultIT,DeclaredRoutesIT' \
  -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false > pipeline/target/reliability-suite.log 2>&1
status=$?
echo "suite log: pipeline/target/reliability-suite.log" >&2
grep -E 'Tests run:|FAIL' pipeline/target/reliability-suite.log | grep -v '^\[INFO\] Tests run: .*, Time elapsed' | tail -20 >&2
python3 scripts/reliability_summary.py "$status" "$SECONDS"
exit $status
