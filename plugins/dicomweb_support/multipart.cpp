#include "multipart.h"

#include <algorithm>
#include <cctype>
#include <random>

#include "screener/error.h"

namespace screener::dicomweb {

namespace {

constexpr std::string_view kCrlf = "\r\n";

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

// "content-type" -> "Content-Type"
std::string header_name(std::string_view name) {
  std::string out(name);
  bool word_start = true;
  for (char& c : out) {
    c = word_start ? char(std::toupper(static_cast<unsigned char>(c))) : c;
    word_start = c == '-';
  }
  return out;
}

// Splits at ';' outside quoted strings.
std::vector<std::string_view> split_parameters(std::string_view content_type) {
  std::vector<std::string_view> pieces;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < content_type.size(); ++i) {
    const char c = content_type[i];
    if (quoted && c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ';' && !quoted) {
      pieces.push_back(content_type.substr(start, i - start));
      start = i + 1;
    }
  }
  pieces.push_back(content_type.substr(start));
  return pieces;
}

std::string unquote(std::string_view value) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return std::string(value);
  std::string out;
  for (std::size_t i = 1; i + 1 < value.size(); ++i) {
    if (value[i] == '\\' && i + 2 < value.size()) ++i;
    out += value[i];
  }
  return out;
}

class CollectingHandler final : public PartHandler {
 public:
  std::vector<Part> parts;
  void begin_part(const std::map<std::string, std::string>& headers) override { parts.push_back({headers, {}}); }
  void part_data(std::string_view bytes) override { parts.back().body.append(bytes); }
  void end_part() override {}
};

}  // namespace

std::map<std::string, std::string> media_type_parameters(std::string_view content_type) {
  std::map<std::string, std::string> parameters;
  const auto pieces = split_parameters(content_type);
  for (std::size_t i = 1; i < pieces.size(); ++i) {
    const auto eq = pieces[i].find('=');
    if (eq == std::string_view::npos) continue;
    parameters[lower(trim(pieces[i].substr(0, eq)))] = unquote(trim(pieces[i].substr(eq + 1)));
  }
  return parameters;
}

std::string media_type(std::string_view content_type) { return lower(trim(split_parameters(content_type).front())); }

std::string multipart_boundary(std::string_view content_type) {
  if (media_type(content_type).rfind("multipart/", 0) != 0)
    throw InputError("expected a multipart response, got Content-Type '" + std::string(content_type) + "'");
  const auto parameters = media_type_parameters(content_type);
  const auto it = parameters.find("boundary");
  if (it == parameters.end() || it->second.empty())
    throw InputError("multipart Content-Type without a boundary: '" + std::string(content_type) + "'");
  return it->second;
}

std::string Part::content_type() const {
  const auto it = headers.find("content-type");
  return it == headers.end() ? std::string() : it->second;
}

MultipartReader::MultipartReader(std::string boundary, PartHandler& handler, MultipartLimits limits)
    : handler_(handler), limits_(limits), pending_(kCrlf) {
  // pending_ starts with the CRLF that belongs to a delimiter: the first
  // boundary may open the body without one.
  if (boundary.empty()) throw InputError("multipart boundary is empty");
  if (boundary.size() > limits_.max_boundary_bytes)
    throw InputError("multipart boundary of " + std::to_string(boundary.size()) + " bytes, more than the limit of " +
                     std::to_string(limits_.max_boundary_bytes));
  delimiter_ = std::string(kCrlf) + "--" + boundary;
}

void MultipartReader::hand_on(std::string_view bytes) {
  part_bytes_ += bytes.size();
  if (part_bytes_ > limits_.max_part_bytes)
    throw InputError("multipart part " + std::to_string(parts_) + " is larger than the limit of " +
                     std::to_string(limits_.max_part_bytes) + " bytes (no boundary where one was due?)");
  handler_.part_data(bytes);
}

void MultipartReader::feed(std::string_view bytes) {
  if (state_ == State::done) return;  // the epilogue means nothing
  pending_.append(bytes);
  while (step()) {
  }
}

void MultipartReader::finish() {
  while (step()) {
  }
  if (state_ != State::done)
    throw InputError("the multipart body ended before its closing boundary (" + std::to_string(parts_) +
                     " part(s) complete): transfer cut short?");
}

bool MultipartReader::step() {
  switch (state_) {
    case State::preamble: {
      const auto at = pending_.find(delimiter_);
      if (at == std::string::npos) {
        if (pending_.size() >= delimiter_.size()) {
          preamble_bytes_ += pending_.size() - delimiter_.size() + 1;
          pending_.erase(0, pending_.size() - delimiter_.size() + 1);
        }
        if (preamble_bytes_ > limits_.max_preamble_bytes)
          throw InputError("malformed multipart body: no boundary in its first " +
                           std::to_string(limits_.max_preamble_bytes) + " bytes");
        return false;
      }
      if (preamble_bytes_ + at > limits_.max_preamble_bytes)
        throw InputError("malformed multipart body: no boundary in its first " +
                         std::to_string(limits_.max_preamble_bytes) + " bytes");
      pending_.erase(0, at + delimiter_.size());
      state_ = State::after_delimiter;
      return true;
    }
    case State::after_delimiter: {
      // RFC 2046 allows spaces and tabs after a boundary ("transport padding").
      const auto text = pending_.find_first_not_of(" \t");
      pending_.erase(0, text == std::string::npos ? pending_.size() : text);
      if (pending_.size() < 2) return false;
      if (pending_.compare(0, 2, "--") == 0) {
        pending_.clear();
        state_ = State::done;
        return false;
      }
      if (pending_.compare(0, 2, kCrlf) != 0)
        throw InputError("malformed multipart body: unexpected bytes after boundary " + delimiter_.substr(4));
      pending_.erase(0, 2);
      state_ = State::headers;
      return true;
    }
    case State::headers: {
      std::size_t header_end = 0, body_start = 0;
      if (pending_.compare(0, 2, kCrlf) == 0) {
        body_start = 2;  // no headers at all
      } else {
        const auto at = pending_.find("\r\n\r\n");
        if ((at == std::string::npos ? pending_.size() : at) > limits_.max_header_bytes)
          throw InputError("malformed multipart body: part headers longer than the limit of " +
                           std::to_string(limits_.max_header_bytes) + " bytes");
        if (at == std::string::npos) return false;
        header_end = at;
        body_start = at + 4;
      }
      if (parts_ >= limits_.max_parts)
        throw InputError("multipart body with more than the limit of " + std::to_string(limits_.max_parts) + " parts");
      parse_headers(std::string_view(pending_).substr(0, header_end));
      part_bytes_ = 0;
      pending_.erase(0, body_start);
      state_ = State::body;
      return true;
    }
    case State::body: {
      const auto at = pending_.find(delimiter_);
      if (at == std::string::npos) {
        // What could be the start of a delimiter stays until more arrives.
        const std::size_t keep = delimiter_.size() - 1;
        if (pending_.size() > keep) {
          hand_on(std::string_view(pending_).substr(0, pending_.size() - keep));
          pending_.erase(0, pending_.size() - keep);
        }
        return false;
      }
      if (at > 0) hand_on(std::string_view(pending_).substr(0, at));
      handler_.end_part();
      pending_.erase(0, at + delimiter_.size());
      state_ = State::after_delimiter;
      return true;
    }
    case State::done:
      return false;
  }
  return false;
}

void MultipartReader::parse_headers(std::string_view block) {
  std::map<std::string, std::string> headers;
  std::string last;
  std::size_t start = 0;
  while (start <= block.size()) {
    auto end = block.find(kCrlf, start);
    if (end == std::string_view::npos) end = block.size();
    const std::string_view line = block.substr(start, end - start);
    start = end + 2;
    if (line.empty()) continue;
    if ((line.front() == ' ' || line.front() == '\t') && !last.empty()) {
      headers[last] += " " + std::string(trim(line));  // folded continuation
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    last = lower(trim(line.substr(0, colon)));
    headers[last] = std::string(trim(line.substr(colon + 1)));
  }
  ++parts_;
  handler_.begin_part(headers);
}

std::vector<Part> parse_multipart(std::string_view body, const std::string& boundary, MultipartLimits limits) {
  CollectingHandler handler;
  MultipartReader reader(boundary, handler, limits);
  reader.feed(body);
  reader.finish();
  return std::move(handler.parts);
}

std::string make_boundary(const std::vector<std::string_view>& bodies) {
  static const char* hex = "0123456789abcdef";
  std::random_device seed;
  std::mt19937_64 random(seed());
  for (;;) {
    std::string boundary = "screener-";
    for (int i = 0; i < 32; ++i) boundary += hex[random() & 15];
    const bool unused = std::none_of(bodies.begin(), bodies.end(), [&](std::string_view body) {
      return body.find(boundary) != std::string_view::npos;
    });
    if (unused) return boundary;
  }
}

std::string build_multipart(const std::vector<Part>& parts, const std::string& boundary) {
  std::size_t size = 0;
  for (const auto& p : parts) size += p.body.size() + 256;
  std::string out;
  out.reserve(size + boundary.size() + 8);
  for (const auto& p : parts) {
    out += "--" + boundary + "\r\n";
    for (const auto& [name, value] : p.headers) out += header_name(name) + ": " + value + "\r\n";
    out += "\r\n";
    out += p.body;
    out += "\r\n";
  }
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace screener::dicomweb
