#include "series_retrieval.h"

#include <stdlib.h>

#include <fstream>
#include <optional>
#include <set>

#include "multipart.h"
#include "screener/error.h"
#include "url.h"

namespace fs = std::filesystem;

namespace screener::dicomweb {

namespace {

class PrivateFolder {
 public:
  explicit PrivateFolder(const fs::path& parent) {
    std::string pattern = ((parent.empty() ? fs::temp_directory_path() : parent) / "screener-dicomweb-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw Error("cannot create a temporary folder like '" + pattern + "'");
    path_ = pattern;
  }
  ~PrivateFolder() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  PrivateFolder(const PrivateFolder&) = delete;
  PrivateFolder& operator=(const PrivateFolder&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Writes each part of the response to its own file as it arrives.
class PartFiles final : public PartHandler {
 public:
  explicit PartFiles(fs::path folder) : folder_(std::move(folder)) {}

  void begin_part(const std::map<std::string, std::string>& headers) override {
    const auto type = headers.find("content-type");
    const std::string content_type = type == headers.end() ? "" : type->second;
    if (media_type(content_type) != "application/dicom")
      throw InputError("part " + std::to_string(files.size() + 1) + " is '" + content_type +
                       "', not application/dicom");
    files.push_back(folder_ / ("part-" + std::to_string(files.size() + 1) + ".dcm"));
    out_.open(files.back(), std::ios::binary | std::ios::trunc);
    if (!out_) throw Error("cannot write '" + files.back().string() + "'");
  }
  void part_data(std::string_view bytes) override {
    out_.write(bytes.data(), std::streamsize(bytes.size()));
    if (!out_) throw Error("cannot write '" + files.back().string() + "' (disk full?)");
  }
  void end_part() override {
    out_.close();
    if (!out_) throw Error("cannot write '" + files.back().string() + "' (disk full?)");
  }

  std::vector<fs::path> files;

 private:
  fs::path folder_;
  std::ofstream out_;
};

std::string accept_header(const std::string& transfer_syntax) {
  std::string accept = "multipart/related; type=\"application/dicom\"";
  if (!transfer_syntax.empty()) accept += "; transfer-syntax=" + transfer_syntax;
  return accept;
}

void download_parts(HttpClient& client, const std::string& url, const std::string& transfer_syntax, PartFiles& parts) {
  std::optional<MultipartReader> reader;
  const HttpResponse response = client.get_streamed(url, accept_header(transfer_syntax),
                                                    [&](const std::string& content_type, std::string_view chunk) {
                                                      if (!reader)
                                                        reader.emplace(multipart_boundary(content_type), parts);
                                                      reader->feed(chunk);
                                                    });
  if (!response.ok()) throw InputError(describe_status(response));
  if (!reader) throw InputError("HTTP " + std::to_string(response.status) + " without any instance");
  reader->finish();
}

// The loader names files; ours are temporary, so messages name the instance.
std::string with_instances_named(std::string message, const std::map<std::string, std::string>& uid_of_file) {
  for (const auto& [file, uid] : uid_of_file)
    for (auto at = message.find(file); at != std::string::npos; at = message.find(file))
      message.replace(at, file.size(), "instance " + uid);
  return message;
}

}  // namespace

std::shared_ptr<Volume> retrieve_series(HttpClient& client, const Json& locator, const RetrievalOptions& options) {
  if (locator.contains("error")) throw InputError(locator.at("error").get<std::string>());
  const std::string root = locator.at("root").get<std::string>();
  const std::string series_uid = locator.at("series").get<std::string>();
  const std::string url = root + "/studies/" + percent_encode(locator.at("study").get<std::string>()) + "/series/" +
                          percent_encode(series_uid);
  const std::string request = "WADO-RS GET " + redact_url(url);

  PrivateFolder folder(options.temp_dir);
  PartFiles parts(folder.path());
  try {
    download_parts(client, url, options.transfer_syntax, parts);
  } catch (const InputError& e) {
    throw InputError(request + ": " + e.what());
  } catch (const Error& e) {  // the spool folder could not be written
    throw Error(request + ": " + e.what());
  }

  // The series as selected at discovery: what was left out then (localizers,
  // derived images) or added since is left out now.
  std::set<std::string> wanted;
  for (const auto& uid : locator.at("instances")) wanted.insert(uid.get<std::string>());
  std::vector<fs::path> selected;
  std::map<std::string, std::string> uid_of_file;
  for (std::size_t i = 0; i < parts.files.size(); ++i) {
    const fs::path& file = parts.files[i];
    dicom::DicomHeader header;
    try {
      header = dicom::read_dicom_header(file);
    } catch (const InputError&) {
      throw InputError(request + ": part " + std::to_string(i + 1) + " of " + std::to_string(parts.files.size()) +
                       " is not a readable DICOM instance");
    }
    if (wanted.erase(header.sop_instance_uid)) {
      selected.push_back(file);
      uid_of_file[file.string()] = header.sop_instance_uid;
    }
  }
  if (!wanted.empty())
    throw InputError(request + ": " + std::to_string(wanted.size()) + " of the " +
                     std::to_string(locator.at("instances").size()) +
                     " instances selected at discovery were not sent, e.g. " + *wanted.begin());
  try {
    return dicom::load_dicom_series(selected, options.load);
  } catch (const InputError& e) {
    throw InputError("series " + series_uid + " from " + redact_url(url) + ": " +
                     with_instances_named(e.what(), uid_of_file));
  }
}

}  // namespace screener::dicomweb
