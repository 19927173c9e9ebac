// A small HTTP client over libcurl for DICOMweb requests: GET (whole or
// streamed) and POST, basic auth, timeouts. One client is one connection
// cache: use it from one thread at a time.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace screener::dicomweb {

struct HttpOptions {
  double connect_timeout_s = 10;
  double timeout_s = 600;      // the whole request; 0: no limit
  std::string user, password;  // HTTP basic authentication when user is set
  std::string ca_bundle;       // PEM file of trusted CAs for https; empty: the system's
  // A body kept whole (get, post; not get_streamed's 2xx bodies) larger than
  // this is refused as it arrives (InputError), before it is held.
  std::size_t max_body_bytes = std::size_t(256) << 20;
};

struct HttpResponse {
  long status = 0;
  std::string content_type;
  std::string body;
  bool ok() const { return status >= 200 && status < 300; }
};

// "HTTP 404 Not Found: <start of the body>", for messages about a failed request.
std::string describe_status(const HttpResponse& response);

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // These throw InputError with libcurl's reason when no response came (no
  // connection, timeout, TLS failure); the caller names the request. A
  // response with any status is returned: the caller knows which it accepts.
  HttpResponse get(const std::string& url, const std::string& accept);
  HttpResponse post(const std::string& url, const std::string& content_type, std::string_view body,
                    const std::string& accept);

  // A 2xx body goes to `on_chunk` piece by piece as it arrives and is not
  // kept; any other body is kept in the response (its first 64 KiB). What
  // on_chunk throws stops the transfer and is rethrown.
  using ChunkHandler = std::function<void(const std::string& content_type, std::string_view chunk)>;
  HttpResponse get_streamed(const std::string& url, const std::string& accept, const ChunkHandler& on_chunk);

 private:
  struct Request;
  HttpResponse perform(const Request& request);

  HttpOptions options_;
  struct Handle;
  std::unique_ptr<Handle> handle_;
};

}  // namespace screener::dicomweb
