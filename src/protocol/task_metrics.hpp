#pragma once
// A task's metrics (model/task_metrics.hpp) on the wire: didComplete's "metrics" and TaskInfo's
// "metrics". Times are whole microseconds ("total_us"); keys are the model's field names.

#include "common/error.hpp"
#include "model/task_metrics.hpp"
#include "protocol/messages.hpp"

namespace ferry::protocol {

Json taskMetricsToJson(const model::TaskMetrics& metrics);
Result<model::TaskMetrics> taskMetricsFromJson(const Json& j);

}  // namespace ferry::protocol
