#include <gtest/gtest.h>

#include "stage_harness.h"

using namespace screener;

TEST(ConditionNone, EmitsAnEmptyMapAtThePatchPlace) {
  harness::StageRun run;
  auto patch = std::make_shared<Patch>();
  patch->start = {48, -3, 32};
  patch->roi = {96, 96, 64};
  patch->data = Tensor::zeros({1, 96, 96, 64}, DType::float32);
  auto study = std::make_shared<Study>();
  study->id = "s";
  Packet packet{study, patch, 3, 10, nullptr};
  Inputs in(run.spec.inputs(), {packet});
  harness::CapturingEmitter out;
  run.stage->process(in, out);
  const auto& c = payload_as<Patch>(out.emitted.at("conditions"));
  EXPECT_EQ(c.data.shape(), (Tensor::Shape{0, 96, 96, 64}));
  EXPECT_EQ(c.start, patch->start);
  EXPECT_EQ(c.roi, patch->roi);
}
