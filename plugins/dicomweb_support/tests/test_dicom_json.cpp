#include <gtest/gtest.h>

#include "dicom_json.h"
#include "screener/error.h"

using namespace screener::dicomweb;
using screener::Json;

namespace {
const Json kDataset = Json::parse(R"({
  "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^Jane"}]},
  "00080090": {"vr": "PN", "Value": [{"Alphabetic": "Yamada^Tarou", "Ideographic": "山田^太郎"}]},
  "00100020": {"vr": "LO", "Value": ["P-1"]},
  "00200011": {"vr": "IS", "Value": [5]},
  "00281052": {"vr": "DS", "Value": [-1024.0]},
  "00281053": {"vr": "DS", "Value": ["0.5"]},
  "00200032": {"vr": "DS", "Value": [-120.5, 33.25, 410]},
  "00080008": {"vr": "CS", "Value": ["ORIGINAL", "PRIMARY", "AXIAL"]},
  "00280010": {"vr": "US", "Value": [56]},
  "00080050": {"vr": "SH"},
  "00081030": {"vr": "LO", "Value": []},
  "00280030": {"vr": "DS", "Value": ["abc", 1]},
  "52009230": {"vr": "SQ", "Value": [
    {"00209113": {"vr": "SQ", "Value": [{"00200032": {"vr": "DS", "Value": [0, 0, 2.5]}}]}}]}
})");
}

TEST(DicomJson, StringsAsDicomWritesThem) {
  EXPECT_EQ(dicom_string(kDataset, tag::PatientName), "Doe^Jane");
  EXPECT_EQ(dicom_string(kDataset, tag::ReferringPhysicianName), "Yamada^Tarou=山田^太郎");
  EXPECT_EQ(dicom_string(kDataset, tag::PatientID), "P-1");
  EXPECT_EQ(dicom_string(kDataset, tag::SeriesNumber), "5");
  EXPECT_EQ(dicom_string(kDataset, tag::RescaleIntercept), "-1024");
  EXPECT_EQ(dicom_string(kDataset, tag::ImagePositionPatient), "-120.5\\33.25\\410");
  EXPECT_EQ(dicom_string(kDataset, tag::ImageType), "ORIGINAL\\PRIMARY\\AXIAL");
  EXPECT_EQ(dicom_strings(kDataset, tag::ImageType).size(), 3u);
}

TEST(DicomJson, AbsentAndEmptyValues) {
  EXPECT_EQ(dicom_string(kDataset, tag::AccessionNumber), "");
  EXPECT_EQ(dicom_string(kDataset, tag::StudyDescription), "");
  EXPECT_EQ(dicom_string(kDataset, tag::StudyDate), "");
  EXPECT_EQ(dicom_values(kDataset, tag::AccessionNumber), nullptr);
  EXPECT_EQ(dicom_string(Json::array(), tag::PatientID), "");
}

TEST(DicomJson, Numbers) {
  EXPECT_EQ(dicom_integer(kDataset, tag::Rows, 0), 56);
  EXPECT_EQ(dicom_integer(kDataset, tag::Columns, -1), -1);
  EXPECT_DOUBLE_EQ(*dicom_number(kDataset, tag::RescaleSlope), 0.5);  // a DS sent as a string
  EXPECT_EQ(dicom_numbers(kDataset, tag::ImagePositionPatient), (std::vector<double>{-120.5, 33.25, 410}));
  EXPECT_TRUE(dicom_numbers(kDataset, tag::PixelSpacing).empty());  // one value is not a number
  EXPECT_FALSE(dicom_number(kDataset, tag::StudyDate));
}

TEST(DicomJson, SequenceItems) {
  const Json* frame = dicom_item(kDataset, tag::PerFrameFunctionalGroupsSequence, 0);
  ASSERT_NE(frame, nullptr);
  const Json* position = dicom_item(*frame, tag::PlanePositionSequence);
  ASSERT_NE(position, nullptr);
  EXPECT_EQ(dicom_numbers(*position, tag::ImagePositionPatient), (std::vector<double>{0, 0, 2.5}));
  EXPECT_EQ(dicom_item(kDataset, tag::PerFrameFunctionalGroupsSequence, 1), nullptr);
  EXPECT_EQ(dicom_item(kDataset, tag::PatientName), nullptr);
}

TEST(DicomJson, HostileBodiesAreRefusedBeforeParsing) {
  const std::string deep = "[" + std::string(100000, '{') ;
  try {
    parse_dicom_json(deep, "WADO-RS metadata GET http://pacs/x");
    FAIL() << "accepted";
  } catch (const screener::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("WADO-RS metadata GET http://pacs/x: arrays/objects nested more than 64"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(parse_dicom_json("[{\"00100010\": ", "x"), screener::InputError);  // cut short
  EXPECT_TRUE(parse_dicom_json("[{\"00100010\": {\"vr\": \"PN\"}}]", "x").is_array());
}

TEST(DicomJson, ValuesOfTheWrongTypeAreAbsentNotExceptions) {
  const Json ds = Json::parse(R"({
    "00081199": {"vr": 5, "Value": [{}]},
    "00280008": {"vr": "IS", "Value": [1e300]},
    "00280010": {"vr": "US", "Value": ["-1e999"]},
    "00100010": {"vr": "PN", "Value": [{"Alphabetic": 7}]}
  })");
  EXPECT_EQ(dicom_item(ds, "00081199"), nullptr);
  EXPECT_EQ(dicom_integer(ds, "00280008", -1), -1);  // out of int's range: the fallback
  EXPECT_EQ(dicom_integer(ds, "00280010", -2), -2);
  EXPECT_EQ(dicom_string(ds, "00100010"), "");
}
