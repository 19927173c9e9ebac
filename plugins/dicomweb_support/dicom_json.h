// Reading the DICOM JSON model (PS3.18 F.2): a dataset is an object keyed by
// tag ("00100010"), each with "vr" and a "Value" array; person names are
// objects with "Alphabetic"/"Ideographic"/"Phonetic"; sequences hold datasets.
#pragma once
#include <optional>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "screener/spec.h"

namespace screener::dicomweb {

// Tags as the DICOM JSON model writes them.
namespace tag {
inline constexpr const char* SOPClassUID = "00080016";
inline constexpr const char* SOPInstanceUID = "00080018";
inline constexpr const char* ImageType = "00080008";
inline constexpr const char* StudyDate = "00080020";
inline constexpr const char* StudyTime = "00080030";
inline constexpr const char* AccessionNumber = "00080050";
inline constexpr const char* Modality = "00080060";
inline constexpr const char* ReferringPhysicianName = "00080090";
inline constexpr const char* StudyDescription = "00081030";
inline constexpr const char* SeriesDescription = "0008103E";
inline constexpr const char* RetrieveURL = "00081190";
inline constexpr const char* ReferencedSOPClassUID = "00081150";
inline constexpr const char* ReferencedSOPInstanceUID = "00081155";
inline constexpr const char* WarningReason = "00081196";
inline constexpr const char* FailureReason = "00081197";
inline constexpr const char* FailedSOPSequence = "00081198";
inline constexpr const char* ReferencedSOPSequence = "00081199";
inline constexpr const char* PatientName = "00100010";
inline constexpr const char* PatientID = "00100020";
inline constexpr const char* PatientBirthDate = "00100030";
inline constexpr const char* PatientSex = "00100040";
inline constexpr const char* StudyInstanceUID = "0020000D";
inline constexpr const char* SeriesInstanceUID = "0020000E";
inline constexpr const char* StudyID = "00200010";
inline constexpr const char* SeriesNumber = "00200011";
inline constexpr const char* ImagePositionPatient = "00200032";
inline constexpr const char* ImageOrientationPatient = "00200037";
inline constexpr const char* FrameOfReferenceUID = "00200052";
inline constexpr const char* SamplesPerPixel = "00280002";
inline constexpr const char* NumberOfFrames = "00280008";
inline constexpr const char* Rows = "00280010";
inline constexpr const char* Columns = "00280011";
inline constexpr const char* PixelSpacing = "00280030";
inline constexpr const char* BitsAllocated = "00280100";
inline constexpr const char* BitsStored = "00280101";
inline constexpr const char* HighBit = "00280102";
inline constexpr const char* PixelRepresentation = "00280103";
inline constexpr const char* RescaleIntercept = "00281052";
inline constexpr const char* RescaleSlope = "00281053";
inline constexpr const char* PlanePositionSequence = "00209113";
inline constexpr const char* PlaneOrientationSequence = "00209116";
inline constexpr const char* PixelMeasuresSequence = "00289110";
inline constexpr const char* SharedFunctionalGroupsSequence = "52009229";
inline constexpr const char* PerFrameFunctionalGroupsSequence = "52009230";
}  // namespace tag

// Limits on DICOM JSON from a server (QIDO-RS answers, series metadata): a
// series of 5000 instances is ~50 MB; each nested sequence is 3 levels deep.
inline constexpr std::size_t kMaxDicomJsonBytes = std::size_t(256) << 20;
inline constexpr int kMaxDicomJsonDepth = 64;

// Parses a DICOM JSON body; throws InputError naming `what` when it is over
// the limits (checked before parsing) or not JSON.
Json parse_dicom_json(std::string_view body, const std::string& what);

// The "Value" array of an attribute; null when absent or empty.
const Json* dicom_values(const Json& dataset, const char* tag);

// Values as DICOM would write them in text: numbers without a trailing ".0"
// for integers, person names from their Alphabetic group (with "=" and the
// other groups when present), several values joined by '\'. Empty when absent.
std::string dicom_string(const Json& dataset, const char* tag);
std::vector<std::string> dicom_strings(const Json& dataset, const char* tag);

// Numbers (some servers send DS/IS values as strings; those are parsed).
// Empty / nullopt when absent or not a number.
std::vector<double> dicom_numbers(const Json& dataset, const char* tag);
std::optional<double> dicom_number(const Json& dataset, const char* tag);
int dicom_integer(const Json& dataset, const char* tag, int fallback);

// Item `index` of a sequence; null when there is none.
const Json* dicom_item(const Json& dataset, const char* tag, std::size_t index = 0);

}  // namespace screener::dicomweb
