#include <gtest/gtest.h>

#include <set>

#include "series_grouping.h"
#include "series_metadata.h"

using namespace screener;
using namespace screener::dicomweb;

namespace {

// One CT instance as a WADO-RS metadata answer gives it (DICOM JSON).
Json ct_instance(int slice, const std::string& series_uid = "1.2.3.4", const char* image_type = "ORIGINAL") {
  Json ds = Json::parse(R"({
    "00080016": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.2"]},
    "00080008": {"vr": "CS", "Value": [")" +
                        std::string(image_type) + R"(", "PRIMARY", "AXIAL"]},
    "00080020": {"vr": "DA", "Value": ["20240102"]},
    "00080030": {"vr": "TM", "Value": ["101112.5"]},
    "00080050": {"vr": "SH", "Value": ["ACC1"]},
    "00080060": {"vr": "CS", "Value": ["CT"]},
    "00080090": {"vr": "PN"},
    "00081030": {"vr": "LO", "Value": ["Chest"]},
    "0008103E": {"vr": "LO", "Value": ["Axial 1mm"]},
    "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^Jane"}]},
    "00100020": {"vr": "LO", "Value": ["P1"]},
    "00100030": {"vr": "DA", "Value": ["19700101"]},
    "00100040": {"vr": "CS", "Value": ["F"]},
    "0020000D": {"vr": "UI", "Value": ["1.2.3"]},
    "00200010": {"vr": "SH", "Value": ["S1"]},
    "00200011": {"vr": "IS", "Value": [3]},
    "00200037": {"vr": "DS", "Value": [1, 0, 0, 0, 1, 0]},
    "00200052": {"vr": "UI", "Value": ["1.2.3.9"]},
    "00280010": {"vr": "US", "Value": [56]},
    "00280011": {"vr": "US", "Value": [64]},
    "00280030": {"vr": "DS", "Value": [0.8, 0.7]},
    "00280100": {"vr": "US", "Value": [16]},
    "00280101": {"vr": "US", "Value": [12]},
    "00280102": {"vr": "US", "Value": [11]},
    "00280103": {"vr": "US", "Value": [1]}
  })");
  ds["0020000E"] = {{"vr", "UI"}, {"Value", {series_uid}}};
  ds["00080018"] = {{"vr", "UI"}, {"Value", {series_uid + "." + std::to_string(slice)}}};
  ds["00200032"] = {{"vr", "DS"}, {"Value", {-100, -120.5, 2.5 * slice}}};
  return ds;
}

}  // namespace

TEST(SeriesMetadata, HeaderHasWhatSelectionNeeds) {
  const auto h =
      header_from_metadata(ct_instance(4), "http://h/dicom-web/studies/1.2.3/series/1.2.3.4/instances/1.2.3.4.4");
  EXPECT_EQ(h.file.string(), "http://h/dicom-web/studies/1.2.3/series/1.2.3.4/instances/1.2.3.4.4");
  EXPECT_EQ(h.sop_instance_uid, "1.2.3.4.4");
  EXPECT_EQ(h.study_uid, "1.2.3");
  EXPECT_EQ(h.series_uid, "1.2.3.4");
  EXPECT_EQ(h.patient_id, "P1");
  EXPECT_EQ(h.study_date, "20240102");
  EXPECT_EQ(h.series_number, "3");
  EXPECT_EQ(h.modality, "CT");
  EXPECT_TRUE(h.has_image_type("ORIGINAL") && h.has_image_type("PRIMARY") && h.has_image_type("AXIAL"));
  EXPECT_EQ(h.rows, 56);
  EXPECT_EQ(h.columns, 64);
  EXPECT_EQ(h.frames, 1);
  EXPECT_EQ(h.bits_stored, 12);
  EXPECT_EQ(h.pixel_representation, 1);
  ASSERT_EQ(h.frame_info.size(), 1u);
  EXPECT_EQ(*h.frame_info[0].position, (Vec3{-100, -120.5, 10}));
  EXPECT_EQ((*h.frame_info[0].pixel_spacing)[1], 0.7);
}

TEST(SeriesMetadata, EnhancedMultiFramePositionsPerFrame) {
  Json ds = ct_instance(0);
  ds["00280008"] = {{"vr", "IS"}, {"Value", {2}}};
  ds["52009230"] = Json::parse(R"({"vr": "SQ", "Value": [
      {"00209113": {"vr": "SQ", "Value": [{"00200032": {"vr": "DS", "Value": [0, 0, 1]}}]}},
      {"00209113": {"vr": "SQ", "Value": [{"00200032": {"vr": "DS", "Value": [0, 0, 4]}}]}}]})");
  ds["52009229"] = Json::parse(R"({"vr": "SQ", "Value": [
      {"00209116": {"vr": "SQ", "Value": [{"00200037": {"vr": "DS", "Value": [1, 0, 0, 0, 1, 0]}}]}}]})");
  const auto h = header_from_metadata(ds, "u");
  ASSERT_EQ(h.frames, 2);
  EXPECT_EQ((*h.frame_info[1].position)[2], 4);
  EXPECT_TRUE(h.frame_info[1].orientation.has_value());
}

TEST(SeriesMetadata, SelectionRulesOfTheLocalReaderApply) {
  std::vector<dicom::DicomHeader> headers;
  for (int k = 0; k < 12; ++k) headers.push_back(header_from_metadata(ct_instance(k), "u" + std::to_string(k)));
  headers.push_back(header_from_metadata(ct_instance(99, "1.2.3.4", "DERIVED"), "derived"));
  for (int k = 0; k < 3; ++k)
    headers.push_back(header_from_metadata(ct_instance(k, "1.2.3.5"), "short" + std::to_string(k)));
  std::vector<std::string> notes;
  const auto entries = dicom::select_series(headers, {}, [&](const std::string& n) { notes.push_back(n); });
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].id, "P1_20240102_S3");
  EXPECT_EQ(entries[0].locator["files"].size(), 12u);
  EXPECT_EQ(notes.size(), 2u);  // one derived image left out, the 3-slice series skipped
}

TEST(SeriesMetadata, AttributesAreThoseTheLocalReaderGives) {
  dicom::SelectionRules rules;
  rules.min_slices = 1;
  const auto entries =
      dicom::select_series({header_from_metadata(ct_instance(1), "u1"), header_from_metadata(ct_instance(0), "u0")},
                           rules, [](const std::string&) {});
  ASSERT_EQ(entries.size(), 1u);
  const Json& attributes = entries[0].attributes;
  EXPECT_EQ(attributes["format"], "dicom");
  EXPECT_EQ(attributes["slices"], 2);
  EXPECT_EQ(attributes["PatientName"], "Doe^Jane");
  EXPECT_EQ(attributes["PatientID"], "P1");
  EXPECT_EQ(attributes["PatientBirthDate"], "19700101");
  EXPECT_EQ(attributes["PatientSex"], "F");
  EXPECT_EQ(attributes["StudyInstanceUID"], "1.2.3");
  EXPECT_EQ(attributes["StudyDate"], "20240102");
  EXPECT_EQ(attributes["StudyTime"], "101112.5");
  EXPECT_EQ(attributes["StudyID"], "S1");
  EXPECT_EQ(attributes["AccessionNumber"], "ACC1");
  EXPECT_FALSE(attributes.contains("ReferringPhysicianName"));  // empty: left out, as for files
  EXPECT_EQ(attributes["StudyDescription"], "Chest");
  EXPECT_EQ(attributes["SeriesInstanceUID"], "1.2.3.4");
  EXPECT_EQ(attributes["SeriesNumber"], "3");
  EXPECT_EQ(attributes["SeriesDescription"], "Axial 1mm");
  EXPECT_EQ(attributes["Modality"], "CT");
  EXPECT_EQ(attributes["FrameOfReferenceUID"], "1.2.3.9");
  const Json& referenced = attributes["ReferencedInstances"];
  ASSERT_EQ(referenced.size(), 2u);
  std::set<std::string> uids;
  for (const auto& r : referenced) {
    EXPECT_EQ(r["SOPClassUID"], "1.2.840.10008.5.1.4.1.1.2");
    uids.insert(r["SOPInstanceUID"].get<std::string>());
    ASSERT_EQ(r["FramePositions"].size(), 1u);
  }
  EXPECT_EQ(uids, (std::set<std::string>{"1.2.3.4.0", "1.2.3.4.1"}));
}

TEST(SeriesMetadata, AbsurdDeclaredSizesAreRefusedBeforeAnythingIsSized) {
  Json ds = ct_instance(1);
  ds["00280008"] = {{"vr", "IS"}, {"Value", {2000000000}}};
  try {
    header_from_metadata(ds, "http://pacs/instances/9");
    FAIL() << "accepted";
  } catch (const screener::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("http://pacs/instances/9: NumberOfFrames 2000000000, more than the limit"),
              std::string::npos)
        << e.what();
  }
  ds = ct_instance(1);
  ds["00280010"] = {{"vr", "US"}, {"Value", {70000}}};
  EXPECT_THROW(header_from_metadata(ds, "u"), screener::InputError);
  ds = ct_instance(1);
  ds["00280008"] = {{"vr", "IS"}, {"Value", {kMaxFramesPerInstance}}};
  EXPECT_NO_THROW(header_from_metadata(ds, "u"));
}
