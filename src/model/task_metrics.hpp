#pragma once
// What a task's attempts cost (URLSessionTaskMetrics). The values are public API
// (ferry/task_metrics.hpp, one definition: didFinishCollectingMetrics hands them over); the model
// names them as its own, so that the engine, the protocol and the store speak model::.

#include "ferry/task_metrics.hpp"

namespace ferry::model {

using AttemptMetrics = ferry::AttemptMetrics;
using TaskMetrics = ferry::TaskMetrics;

}  // namespace ferry::model
