// Which ground-truth mask belongs to a study. The rules, first match wins:
//  1. a file <truth>/<S><ext>;
//  2. a folder <truth>/<S>/ holding exactly one mask file: one image
//     (<name><ext>, ext not .dcm) or one DICOM Segmentation .dcm (when the
//     folder holds several .dcm files, those whose SOP class is not
//     Segmentation Storage are left out: a series beside its SEG is fine);
//  3. a file <truth>/<X>[.lesions|.mask|.seg]<ext> where X is the longest
//     name such that S == X or S starts with X + "_" (the demo data names a
//     study <PatientID>_<StudyDate>_S1 and its mask <PatientID>.lesions.nii.gz).
// <ext> is .nii.gz, .nii, .nrrd, .mha, or .dcm (a DICOM Segmentation); the
// extension is matched without regard to case, the name exactly. Two
// candidates at the same rule (S.nii.gz and S.nrrd; X.mask.nii.gz and
// X.lesions.nii.gz) are ambiguous: no match, and the reason says which.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace screener::eval_pairs {

struct TruthFile {
  std::filesystem::path path;
  bool segmentation = false;  // a DICOM Segmentation, else an image
  int rule = 0;               // 1, 2 or 3 above
};

// The extension of a mask file name ("" when it is not one).
std::string mask_extension(const std::string& file_name);

class TruthIndex {
 public:
  // Lists `dir` once. Throws screener::Error when it is not a directory.
  explicit TruthIndex(std::filesystem::path dir);
  // The mask of study `study`, or nothing with the reason in `why`.
  std::optional<TruthFile> find(const std::string& study, std::string& why) const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  struct Entry {
    std::string name;  // file name
    std::string stem;  // without the extension and the .lesions/.mask/.seg tag
    bool tagged;       // had such a tag
    std::string ext;
  };
  std::filesystem::path dir_;
  std::vector<Entry> files_;
  std::vector<std::string> folders_;
};

}  // namespace screener::eval_pairs
