#include "discovery.h"

#include <map>
#include <set>

#include "screener/error.h"
#include "screener/files.h"

namespace fs = std::filesystem;

namespace screener::dicom {

namespace {

std::string stem_of_image_file(const fs::path& file) {
  std::string name = file.filename().string();
  for (const char* ext : {".gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd"}) {
    const std::string e = ext;
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0)
      name.resize(name.size() - e.size());
  }
  return name;
}

}  // namespace

std::vector<StudyEntry> discover_entries(const std::string& input, const SelectionRules& rules, const Note& note) {
  std::vector<fs::path> dicom_files, image_files;
  for (const auto& file : collect_input_files(input, note))
    (is_itk_image_file(file) ? image_files : dicom_files).push_back(file);
  std::vector<DicomHeader> headers;
  std::multimap<fs::path, std::string> unopenable;  // folder -> why a file there cannot be opened
  for (auto& reading : read_dicom_headers(dicom_files)) {
    if (reading.header) {
      headers.push_back(std::move(*reading.header));
      continue;
    }
    note("skipped: " + reading.error);
    if (reading.unopenable) unopenable.emplace(reading.file.parent_path(), reading.error);
  }
  auto entries = select_series(std::move(headers), rules, note);
  // A file that cannot be opened may be a slice of a series beside it: the
  // series' load names it (an error if the stack is incomplete, else a warning).
  for (auto& e : entries) {
    std::set<fs::path> folders;
    for (const auto& f : e.locator.value("files", Json::array())) folders.insert(fs::path(f.get<std::string>()).parent_path());
    for (const auto& folder : folders)
      for (auto [it, end] = unopenable.equal_range(folder); it != end; ++it) e.locator["unopenable"].push_back(it->second);
  }

  std::set<std::string> used;
  for (const auto& e : entries) used.insert(e.id);
  for (const auto& file : image_files) {
    const std::string base = sanitize_filename(stem_of_image_file(file));
    std::string id = base;
    for (int n = 2; !used.insert(id).second; ++n) id = base + "_" + std::to_string(n);
    entries.push_back({id, file.string(), Json{{"format", "image"}, {"file", file.string()}},
                       Json{{"format", "image"}, {"file", file.string()}}});
  }
  return entries;
}

}  // namespace screener::dicom
