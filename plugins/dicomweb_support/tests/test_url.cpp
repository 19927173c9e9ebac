#include <gtest/gtest.h>

#include <cstdlib>

#include "screener/error.h"
#include "url.h"

using namespace screener::dicomweb;

TEST(Url, RecognisesHttpUrls) {
  EXPECT_TRUE(is_http_url("http://127.0.0.1:8042/dicom-web"));
  EXPECT_TRUE(is_http_url("HTTPS://pacs.example.org/wado"));
  EXPECT_FALSE(is_http_url("/data/dicom"));
  EXPECT_FALSE(is_http_url("ftp://host/x"));
  EXPECT_FALSE(is_http_url("phantom:3"));
}

TEST(Url, ServiceRootDropsTrailingSlashesAndRefusesOtherSchemes) {
  EXPECT_EQ(service_root("http://h:1/dicom-web//"), "http://h:1/dicom-web");
  EXPECT_EQ(service_root("http://h:1/dicom-web"), "http://h:1/dicom-web");
  EXPECT_THROW(service_root("/data/dicom"), screener::Error);
}

TEST(Url, RedactionRemovesCredentialsOnly) {
  EXPECT_EQ(redact_url("http://alice:s3cret@h:8042/dicom-web/studies"), "http://h:8042/dicom-web/studies");
  EXPECT_EQ(redact_url("https://alice@h/x?a=b@c"), "https://h/x?a=b@c");
  EXPECT_EQ(redact_url("http://h/x?mail=a@b"), "http://h/x?mail=a@b");
  EXPECT_EQ(redact_url("no url"), "no url");
}

TEST(Url, QueryValuesArePercentEncoded) {
  EXPECT_EQ(percent_encode("Doe^J*n ?&=/"), "Doe%5EJ%2An%20%3F%26%3D%2F");
  EXPECT_EQ(with_query("http://h/studies", {{"PatientID", "P 1"}, {"StudyDate", "20200101-20201231"}}),
            "http://h/studies?PatientID=P%201&StudyDate=20200101-20201231");
  EXPECT_EQ(with_query("http://h/studies?limit=5", {{"offset", "10"}}), "http://h/studies?limit=5&offset=10");
}

TEST(Url, FiltersAreKeyEqualsValue) {
  EXPECT_EQ(parse_filter("PatientID=12=3"), (std::pair<std::string, std::string>{"PatientID", "12=3"}));
  EXPECT_EQ(parse_filter("AccessionNumber="), (std::pair<std::string, std::string>{"AccessionNumber", ""}));
  EXPECT_THROW(parse_filter("PatientID"), screener::Error);
  EXPECT_THROW(parse_filter("=3"), screener::Error);
}

TEST(Url, CredentialsInTheUrlAreFoundAndDecoded) {
  const auto c = credentials_in("http://al%40ice:p%3Ass@h:1/dicom-web");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "al@ice");
  EXPECT_EQ(c->password, "p:ss");
  EXPECT_FALSE(credentials_in("http://h:1/dicom-web?x=a@b"));
  EXPECT_EQ(credentials_in("http://bob@h/")->password, "");
}

TEST(Url, CredentialsComeFromParametersThenTheUrlThenTheEnvironment) {
  ::setenv(kUserVariable, "env-user", 1);
  ::setenv(kPasswordVariable, "env-pass", 1);
  auto c = resolve_credentials({"param-user", ""}, "http://url-user:url-pass@h/dicom-web");
  EXPECT_EQ(c.user, "param-user");
  EXPECT_EQ(c.password, "url-pass");
  c = resolve_credentials({}, "http://h/dicom-web");
  EXPECT_EQ(c.user, "env-user");
  EXPECT_EQ(c.password, "env-pass");
  c = resolve_credentials({"", "param-pass"}, "http://url-user@h/dicom-web");
  EXPECT_EQ(c.user, "url-user");
  EXPECT_EQ(c.password, "param-pass");
  ::unsetenv(kUserVariable);
  ::unsetenv(kPasswordVariable);
  c = resolve_credentials({}, "http://h/dicom-web");
  EXPECT_EQ(c.user, "");
  EXPECT_EQ(c.password, "");
}

TEST(Url, AbsurdUrlsAreRefusedWithTheLimit) {
  const std::string long_url = "http://pacs/" + std::string(kMaxUrlBytes, 'a');
  try {
    service_root(long_url);
    FAIL() << "accepted";
  } catch (const screener::Error& e) {
    EXPECT_NE(std::string(e.what()).find("more than the limit of 8192"), std::string::npos) << e.what();
    EXPECT_LT(std::string(e.what()).size(), 300u) << "the message does not repeat the URL";
  }
  EXPECT_THROW(service_root("http://pacs/dicom web"), screener::Error);
  EXPECT_THROW(service_root("http://pacs/x\r\nHost: evil"), screener::Error);
  EXPECT_THROW(service_root(std::string("http://pacs/\0x", 14)), screener::Error);
  EXPECT_THROW(service_root("http://"), screener::Error);
  EXPECT_THROW(service_root("http://user:pw@/x"), screener::Error);
  EXPECT_EQ(service_root("http://pacs:8042/dicom-web/"), "http://pacs:8042/dicom-web");
  EXPECT_EQ(service_root("https://u:p@pacs"), "https://u:p@pacs");
}
