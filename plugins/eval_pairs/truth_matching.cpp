#include "truth_matching.h"

#include <algorithm>
#include <cctype>

#include "screener/error.h"
#include "seg_reading.h"

namespace screener::eval_pairs {

namespace fs = std::filesystem;

namespace {

const char* const kExtensions[] = {".nii.gz", ".nii", ".nrrd", ".mha", ".dcm"};
const char* const kTags[] = {".lesions", ".mask", ".seg"};

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

std::string names(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& n : list) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

std::string mask_extension(const std::string& file_name) {
  const std::string low = lower(file_name);
  for (const char* ext : kExtensions)
    if (ends_with(low, ext) && low.size() > std::string(ext).size()) return ext;
  return {};
}

TruthIndex::TruthIndex(fs::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) throw Error("the ground-truth directory '" + dir_.string() + "' does not exist");
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    if (e.is_directory(ec)) {
      folders_.push_back(name);
      continue;
    }
    const std::string ext = mask_extension(name);
    if (ext.empty()) continue;
    Entry entry{name, name.substr(0, name.size() - ext.size()), false, ext};
    for (const char* tag : kTags)
      if (ends_with(entry.stem, tag) && entry.stem.size() > std::string(tag).size()) {
        entry.stem.resize(entry.stem.size() - std::string(tag).size());
        entry.tagged = true;
        break;
      }
    files_.push_back(entry);
  }
  if (ec) throw Error("cannot list the ground-truth directory '" + dir_.string() + "': " + ec.message());
  std::sort(files_.begin(), files_.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
  std::sort(folders_.begin(), folders_.end());
}

std::optional<TruthFile> TruthIndex::find(const std::string& study, std::string& why) const {
  // 1. <S><ext>
  std::vector<const Entry*> exact;
  for (const auto& f : files_)
    if (!f.tagged && f.stem == study) exact.push_back(&f);
  if (exact.size() == 1) return TruthFile{dir_ / exact[0]->name, exact[0]->ext == ".dcm", 1};
  if (exact.size() > 1) {
    std::vector<std::string> n;
    for (const auto* f : exact) n.push_back(f->name);
    why = "several ground-truth files for it in '" + dir_.string() + "': " + names(n);
    return std::nullopt;
  }
  // 2. <S>/ with one mask file.
  if (std::binary_search(folders_.begin(), folders_.end(), study)) {
    const fs::path folder = dir_ / study;
    std::vector<std::string> images, segs;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(folder, ec)) {
      const std::string name = e.path().filename().string();
      if (name.empty() || name[0] == '.' || !e.is_regular_file(ec)) continue;
      const std::string ext = mask_extension(name);
      if (ext == ".dcm") segs.push_back(name);
      else if (!ext.empty()) images.push_back(name);
    }
    std::sort(images.begin(), images.end());
    std::sort(segs.begin(), segs.end());
    // Several .dcm files (a series beside its Segmentation): only Segmentations count.
    if (segs.size() > 1)
      segs.erase(std::remove_if(segs.begin(), segs.end(),
                                [&](const std::string& name) { return !is_segmentation_file(folder / name); }),
                 segs.end());
    if (images.size() + segs.size() == 1)
      return TruthFile{folder / (images.empty() ? segs[0] : images[0]), images.empty(), 2};
    if (images.size() + segs.size() > 1) {
      images.insert(images.end(), segs.begin(), segs.end());
      why = "the folder '" + folder.string() + "' holds several mask files (" + names(images) + "), not exactly one";
    } else {
      why = "the folder '" + folder.string() + "' holds no .nii.gz, .nii, .nrrd, .mha or DICOM Segmentation .dcm file";
    }
    return std::nullopt;
  }
  // 3. <X>[.tag]<ext>, X the longest prefix of S at a '_' boundary.
  std::size_t best = 0;
  std::vector<const Entry*> found;
  for (const auto& f : files_) {
    const bool fits = f.stem == study || (study.size() > f.stem.size() + 1 && study.compare(0, f.stem.size(), f.stem) == 0 &&
                                          study[f.stem.size()] == '_');
    if (!fits || f.stem.empty()) continue;
    if (f.stem.size() > best) best = f.stem.size(), found.clear();
    if (f.stem.size() == best) found.push_back(&f);
  }
  if (found.size() == 1) return TruthFile{dir_ / found[0]->name, found[0]->ext == ".dcm", 3};
  if (found.size() > 1) {
    std::vector<std::string> n;
    for (const auto* f : found) n.push_back(f->name);
    why = "several ground-truth files match it equally in '" + dir_.string() + "': " + names(n);
    return std::nullopt;
  }
  why = "no ground-truth mask in '" + dir_.string() + "' (looked for " + study + ".nii.gz, a folder " + study +
        "/, and <prefix>[.lesions|.mask|.seg].nii.gz with " + study + " = <prefix> or <prefix>_...)";
  return std::nullopt;
}

}  // namespace screener::eval_pairs
