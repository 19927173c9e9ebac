#include "http_client.h"

#include <curl/curl.h>

#include <exception>
#include <mutex>

#include "screener/error.h"

namespace screener::dicomweb {

namespace {

constexpr std::size_t kKeptErrorBody = 64 * 1024;

void global_init_once() {
  static std::once_flag once;
  static CURLcode status = CURLE_OK;
  std::call_once(once, [] { status = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (status != CURLE_OK) throw Error(std::string("cannot initialise libcurl: ") + curl_easy_strerror(status));
}

struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
  void add(const std::string& line) {
    curl_slist* grown = curl_slist_append(list, line.c_str());
    if (!grown) throw Error("out of memory building HTTP headers");
    list = grown;
  }
};

// State of one transfer, shared with libcurl's write callback.
struct Transfer {
  CURL* curl = nullptr;
  const HttpClient::ChunkHandler* on_chunk = nullptr;  // null: keep the whole body
  std::size_t max_body = 0;
  HttpResponse response;
  bool head_read = false;
  bool stopped_on_purpose = false;  // an error body long enough to explain itself
  std::exception_ptr error;

  void read_head() {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    char* type = nullptr;
    if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type) response.content_type = type;
    head_read = true;
  }
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  try {
    if (!t.head_read) t.read_head();
    if (t.on_chunk && t.response.ok()) {
      (*t.on_chunk)(t.response.content_type, std::string_view(data, n));
      return n;
    }
    if (t.on_chunk && t.response.body.size() + n > kKeptErrorBody) {
      t.response.body.append(data, kKeptErrorBody - t.response.body.size());
      t.stopped_on_purpose = true;
      return 0;
    }
    if (t.response.body.size() + n > t.max_body)
      throw InputError("the response body is larger than the limit of " + std::to_string(t.max_body) + " bytes");
    t.response.body.append(data, n);
    return n;
  } catch (...) {
    t.error = std::current_exception();
    return 0;
  }
}

// HTTP/2 has no reason phrases on the wire: these are the common ones.
const char* reason_phrase(long status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return nullptr;
  }
}

long milliseconds(double seconds) { return static_cast<long>(seconds * 1000.0 + 0.5); }

}  // namespace

struct HttpClient::Handle {
  CURL* curl = nullptr;
  Handle() : curl(curl_easy_init()) {
    if (!curl) throw Error("cannot create a libcurl handle");
  }
  ~Handle() { curl_easy_cleanup(curl); }
};

struct HttpClient::Request {
  const char* method;
  const std::string& url;
  std::string accept;
  std::string content_type;  // POST only
  std::string_view body;     // POST only
  const ChunkHandler* on_chunk = nullptr;
};

std::string describe_status(const HttpResponse& response) {
  std::string text = "HTTP " + std::to_string(response.status);
  if (const char* reason = reason_phrase(response.status)) text += std::string(" ") + reason;
  std::string body = response.body.substr(0, 300);
  for (char& c : body)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  const auto end = body.find_last_not_of(' ');
  body = end == std::string::npos ? "" : body.substr(0, end + 1);
  if (!body.empty()) text += ": " + body + (response.body.size() > 300 ? "..." : "");
  return text;
}

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {
  global_init_once();
  handle_ = std::make_unique<Handle>();
}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::get(const std::string& url, const std::string& accept) {
  return perform({"GET", url, accept, "", {}, nullptr});
}

HttpResponse HttpClient::post(const std::string& url, const std::string& content_type, std::string_view body,
                              const std::string& accept) {
  return perform({"POST", url, accept, content_type, body, nullptr});
}

HttpResponse HttpClient::get_streamed(const std::string& url, const std::string& accept, const ChunkHandler& on_chunk) {
  return perform({"GET", url, accept, "", {}, &on_chunk});
}

HttpResponse HttpClient::perform(const Request& request) {
  CURL* curl = handle_->curl;
  curl_easy_reset(curl);  // keeps the connection cache
  char error_text[CURL_ERROR_SIZE] = "";
  HeaderList headers;
  headers.add("Accept: " + request.accept);
  const bool post = std::string_view(request.method) == "POST";
  if (post) {
    headers.add("Content-Type: " + request.content_type);
    headers.add("Expect:");  // no 100-continue round trip before the body
  }
  Transfer transfer;
  transfer.curl = curl;
  transfer.on_chunk = request.on_chunk;
  transfer.max_body = options_.max_body_bytes;

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: stages run on many threads
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(options_.connect_timeout_s));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, milliseconds(options_.timeout_s));
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // whatever compression libcurl can undo
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "screener-dicomweb/1.0");
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  if (!options_.user.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, options_.user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
  }
  if (!options_.ca_bundle.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  if (post) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }

  const CURLcode status = curl_easy_perform(curl);
  if (transfer.error) std::rethrow_exception(transfer.error);
  if (status != CURLE_OK && !transfer.stopped_on_purpose)
    throw InputError(error_text[0] ? error_text : curl_easy_strerror(status));
  if (!transfer.head_read) transfer.read_head();  // an empty body never reached on_body
  return std::move(transfer.response);
}

}  // namespace screener::dicomweb
