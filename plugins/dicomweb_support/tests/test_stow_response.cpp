#include <gtest/gtest.h>

#include "screener/error.h"
#include "stow.h"

using namespace screener::dicomweb;

namespace {
HttpResponse response(long status, std::string body) { return {status, "application/dicom+json", std::move(body)}; }
}  // namespace

TEST(StowResponse, AllStored) {
  const auto outcome = read_stow_response(response(200, R"({
    "00081190": {"vr": "UR", "Value": ["http://h/dicom-web/studies/1.2"]},
    "00081199": {"vr": "SQ", "Value": [
      {"00081150": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.30"]},
       "00081155": {"vr": "UI", "Value": ["1.2.3"]},
       "00081190": {"vr": "UR", "Value": ["http://h/dicom-web/studies/1.2/series/1.2.4/instances/1.2.3"]}},
      {"00081155": {"vr": "UI", "Value": ["1.2.5"]}}]}})"),
                                          {"1.2.3", "1.2.5"});
  ASSERT_EQ(outcome.stored.size(), 2u);
  EXPECT_EQ(outcome.stored[0].sop_instance_uid, "1.2.3");
  EXPECT_EQ(outcome.stored[0].retrieve_url, "http://h/dicom-web/studies/1.2/series/1.2.4/instances/1.2.3");
  EXPECT_TRUE(outcome.failed.empty());
  EXPECT_TRUE(outcome.warnings.empty());
}

TEST(StowResponse, PartialFailureAndWarnings) {
  const auto outcome = read_stow_response(response(202, R"([{
    "00081198": {"vr": "SQ", "Value": [
      {"00081155": {"vr": "UI", "Value": ["1.2.5"]}, "00081197": {"vr": "US", "Value": [42752]}}]},
    "00081199": {"vr": "SQ", "Value": [
      {"00081155": {"vr": "UI", "Value": ["1.2.3"]}, "00081196": {"vr": "US", "Value": [45056]}}]}}])"),
                                          {"1.2.3", "1.2.5", "1.2.9"});
  ASSERT_EQ(outcome.stored.size(), 1u);
  ASSERT_EQ(outcome.failed.size(), 2u);
  EXPECT_EQ(outcome.failed[0].sop_instance_uid, "1.2.5");
  EXPECT_EQ(outcome.failed[0].reason, "0xA700 (refused: out of resources)");
  EXPECT_EQ(outcome.failed[1].sop_instance_uid, "1.2.9");  // not answered for
  ASSERT_EQ(outcome.warnings.size(), 1u);
  EXPECT_EQ(outcome.warnings[0], "instance 1.2.3: 0xB000 (coercion of data elements)");
}

TEST(StowResponse, A200WithoutDetailsMeansStored) {
  const auto outcome = read_stow_response(response(200, ""), {"1.2.3"});
  ASSERT_EQ(outcome.stored.size(), 1u);
  EXPECT_TRUE(outcome.failed.empty());
}

TEST(StowResponse, AllFailedOrRefused) {
  const auto conflict = read_stow_response(response(409, R"({"00081198": {"vr": "SQ", "Value": [
      {"00081155": {"vr": "UI", "Value": ["1.2.3"]}, "00081197": {"vr": "US", "Value": [49152]}}]}})"),
                                           {"1.2.3"});
  ASSERT_EQ(conflict.failed.size(), 1u);
  EXPECT_EQ(conflict.failed[0].reason, "0xC000 (error: cannot understand)");
  try {
    read_stow_response(response(401, "Unauthorized"), {"1.2.3"});
    FAIL() << "no exception";
  } catch (const screener::InputError& e) {
    EXPECT_STREQ(e.what(), "HTTP 401 Unauthorized: Unauthorized");
  }
  EXPECT_THROW(read_stow_response(response(500, ""), {"1.2.3"}), screener::InputError);
}
