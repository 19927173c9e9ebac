#include "input_files.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <system_error>

#include <unistd.h>

#include "screener/error.h"

namespace fs = std::filesystem;

namespace screener::dicom {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void add_tree(const fs::path& dir, std::vector<fs::path>& out, const Note& note) {
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  if (ec) throw Error("cannot read the directory '" + dir.string() + "': " + ec.message());
  std::vector<fs::path> found;
  for (; it != end; it.increment(ec)) {
    if (ec) {
      note("skipped part of '" + dir.string() + "': " + ec.message());
      break;
    }
    if (it->is_directory(ec) && !it->is_symlink(ec)) {
      // skip_permission_denied would leave it out without a word.
      const int denied = ::access(it->path().c_str(), R_OK | X_OK) == 0 ? 0 : errno;
      if (denied) {
        note("skipped the directory '" + it->path().string() + "': " +
             std::error_code(denied, std::generic_category()).message());
        it.disable_recursion_pending();
        continue;
      }
    }
    if (it->is_regular_file(ec)) found.push_back(it->path());
  }
  std::sort(found.begin(), found.end());
  out.insert(out.end(), found.begin(), found.end());
}

bool is_dicomdir_file(const fs::path& file) {
  if (lower(file.filename().string()) == "dicomdir") return true;
  DcmFileFormat format;
  if (format.loadFileUntilTag(file.c_str(), EXS_Unknown, EGL_noChange, 256, ERM_fileOnly, DcmTagKey(0x0008, 0x0000))
          .bad())
    return false;
  OFString sop_class;
  format.getMetaInfo()->findAndGetOFString(DCM_MediaStorageSOPClassUID, sop_class);
  return sop_class == UID_MediaStorageDirectoryStorage;
}

void add_listed(const fs::path& list, std::vector<fs::path>& out, const Note& note) {
  std::ifstream in(list);
  if (!in) throw Error("cannot open the file list '" + list.string() + "'");
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    fs::path path = line.substr(start);
    if (path.is_relative()) path = list.parent_path() / path;
    std::error_code ec;
    if (fs::is_directory(path, ec))
      add_tree(path, out, note);
    else if (fs::is_regular_file(path, ec))
      out.push_back(path);
    else
      note("skipped '" + path.string() + "' listed in '" + list.string() + "': no such file");
  }
}

// DICOMDIR file IDs are upper case (ISO 9660); media copied by some tools
// arrive in lower case. Each component is matched exactly first, then
// ignoring case.
std::optional<fs::path> resolve_file_id(const fs::path& base, const fs::path& relative) {
  fs::path current = base;
  std::error_code ec;
  for (const auto& component : relative) {
    if (fs::exists(current / component, ec)) {
      current /= component;
      continue;
    }
    std::optional<fs::path> match;
    for (const auto& entry : fs::directory_iterator(current.empty() ? fs::path(".") : current, ec))
      if (lower(entry.path().filename().string()) == lower(component.string())) {
        match = entry.path();
        break;
      }
    if (!match) return std::nullopt;
    current = *match;
  }
  if (!fs::is_regular_file(current, ec)) return std::nullopt;
  return current;
}

}  // namespace

bool is_itk_image_file(const fs::path& file) {
  const std::string name = lower(file.filename().string());
  for (const char* ext : {".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd"})
    if (ends_with(name, ext)) return true;
  return false;
}

std::vector<fs::path> files_of_dicomdir(const fs::path& dicomdir, const Note& note) {
  DcmFileFormat format;
  const OFCondition status = format.loadFile(dicomdir.c_str());
  if (status.bad()) throw Error("cannot read the DICOMDIR '" + dicomdir.string() + "': " + status.text());
  DcmDataset& ds = *format.getDataset();
  std::vector<fs::path> files;
  DcmItem* record = nullptr;
  for (signed long i = 0; ds.findAndGetSequenceItem(DCM_DirectoryRecordSequence, record, i).good(); ++i) {
    OFString component;
    fs::path relative;
    for (unsigned long c = 0; record->findAndGetOFString(DCM_ReferencedFileID, component, c).good(); ++c)
      relative /= component.c_str();
    if (relative.empty()) continue;
    if (auto file = resolve_file_id(dicomdir.parent_path(), relative))
      files.push_back(*file);
    else
      note("skipped '" + (dicomdir.parent_path() / relative).string() + "' referenced by '" + dicomdir.string() +
           "': no such file");
  }
  return files;
}

std::vector<fs::path> collect_input_files(const std::string& input, const Note& note) {
  const fs::path path(input);
  std::error_code ec;
  std::vector<fs::path> files;
  if (fs::is_directory(path, ec)) {
    add_tree(path, files, note);
  } else if (!fs::is_regular_file(path, ec)) {
    throw Error("input '" + input + "' is neither a file nor a directory");
  } else if (ends_with(lower(path.filename().string()), ".txt")) {
    add_listed(path, files, note);
  } else if (is_dicomdir_file(path)) {
    files = files_of_dicomdir(path, note);
  } else {
    files.push_back(path);
  }
  return files;
}

}  // namespace screener::dicom
