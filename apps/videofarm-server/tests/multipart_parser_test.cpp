// The streaming multipart parser: same result however the body is cut into pieces.
#include <gtest/gtest.h>

#include <random>

#include "multipart_parser.hpp"

namespace vf {
namespace {

struct Collected : MultipartHandler {
  std::vector<PartHeaders> headers;
  std::vector<std::string> data;
  int ended = 0;
  ferry::Result<void> onPartBegin(const PartHeaders& h) override {
    headers.push_back(h);
    data.emplace_back();
    return {};
  }
  ferry::Result<void> onPartData(std::string_view d) override {
    data.back().append(d);
    return {};
  }
  ferry::Result<void> onPartEnd() override {
    ++ended;
    return {};
  }
};

const std::string kBoundary = "----vfBoundary7MA4YWxkTrZu0gW";

std::string sampleBody(const std::string& binary) {
  return "preamble to ignore\r\n--" + kBoundary +
         "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nA title\r\n--" + kBoundary +
         "\r\nContent-Disposition: form-data; name=\"thumbnail\"; filename=\"a;b.png\"\r\n"
         "Content-Type: image/png\r\n\r\n" +
         binary + "\r\n--" + kBoundary + "--\r\nepilogue";
}

std::string trickyBinary() {
  // Almost-delimiters inside the data must come out as data.
  std::string b = "\r\n--" + kBoundary.substr(0, 10) + "x\r\n\r\n-\r\n--";
  b += std::string("\0\xff\r", 3);
  b += "\r\n--" + kBoundary.substr(0, kBoundary.size() - 1);
  return b;
}

void expectSample(const Collected& c, const std::string& binary) {
  ASSERT_EQ(c.headers.size(), 2u);
  EXPECT_EQ(c.headers[0].name, "title");
  EXPECT_EQ(c.data[0], "A title");
  EXPECT_EQ(c.headers[1].name, "thumbnail");
  EXPECT_EQ(c.headers[1].filename.value_or(""), "a;b.png");
  EXPECT_EQ(c.headers[1].content_type, "image/png");
  EXPECT_EQ(c.data[1], binary);
  EXPECT_EQ(c.ended, 2);
}

TEST(MultipartParser, WholeBodyAtOnce) {
  Collected c;
  MultipartParser p(kBoundary, c);
  auto body = sampleBody(trickyBinary());
  ASSERT_TRUE(p.feed(body));
  ASSERT_TRUE(p.finish());
  expectSample(c, trickyBinary());
}

TEST(MultipartParser, EverySplitPointAndByteByByte) {
  auto body = sampleBody(trickyBinary());
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    Collected c;
    MultipartParser p(kBoundary, c);
    ASSERT_TRUE(p.feed(body.substr(0, cut)));
    ASSERT_TRUE(p.feed(body.substr(cut)));
    ASSERT_TRUE(p.finish()) << cut;
    expectSample(c, trickyBinary());
  }
  Collected c;
  MultipartParser p(kBoundary, c);
  for (char ch : body) ASSERT_TRUE(p.feed(std::string(1, ch)));
  ASSERT_TRUE(p.finish());
  expectSample(c, trickyBinary());
}

TEST(MultipartParser, LargePartInRandomPiecesKeepsMemoryBounded) {
  std::mt19937 rng(7);
  std::string binary(1 << 20, '\0');
  for (auto& ch : binary) ch = static_cast<char>(rng());
  auto body = sampleBody(binary);
  Collected c;
  MultipartParser p(kBoundary, c);
  size_t off = 0;
  while (off < body.size()) {
    size_t n = std::min<size_t>(body.size() - off, 1 + rng() % 70000);
    ASSERT_TRUE(p.feed(std::string_view(body).substr(off, n)));
    off += n;
  }
  ASSERT_TRUE(p.finish());
  expectSample(c, binary);
}

TEST(MultipartParser, TruncatedBodyFails) {
  auto body = sampleBody("data");
  Collected c;
  MultipartParser p(kBoundary, c);
  ASSERT_TRUE(p.feed(body.substr(0, body.size() - 20)));
  EXPECT_FALSE(p.finish());
}

TEST(MultipartParser, MalformedInputsFail) {
  auto run = [](const std::string& body, MultipartLimits limits = {}) {
    Collected c;
    MultipartParser p(kBoundary, c, limits);
    auto r = p.feed(body);
    return r && p.finish();
  };
  // No Content-Disposition.
  EXPECT_FALSE(run("--" + kBoundary + "\r\nContent-Type: text/plain\r\n\r\nx\r\n--" + kBoundary + "--"));
  // Garbage after a delimiter.
  EXPECT_FALSE(run("--" + kBoundary + "XY\r\n\r\nx\r\n--" + kBoundary + "--"));
  // Header line without colon.
  EXPECT_FALSE(run("--" + kBoundary + "\r\nnonsense\r\n\r\nx\r\n--" + kBoundary + "--"));
  // Too many parts.
  std::string many;
  for (int i = 0; i < 3; ++i) many += "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n";
  many += "--" + kBoundary + "--";
  EXPECT_TRUE(run(many));
  EXPECT_FALSE(run(many, MultipartLimits{4096, 2}));
  // Endless part headers.
  EXPECT_FALSE(run("--" + kBoundary + "\r\nX-A: " + std::string(10000, 'a'), MultipartLimits{4096, 8}));
}

TEST(MultipartParser, BoundaryFromContentType) {
  EXPECT_EQ(multipartBoundary("multipart/form-data; boundary=abc").value_or(""), "abc");
  EXPECT_EQ(multipartBoundary("Multipart/Form-Data; charset=x; boundary=\"a b:c\"").value_or(""), "a b:c");
  EXPECT_FALSE(multipartBoundary("application/json"));
  EXPECT_FALSE(multipartBoundary("multipart/form-data"));
  EXPECT_FALSE(multipartBoundary("multipart/form-data; boundary=" + std::string(71, 'a')));
  EXPECT_FALSE(multipartBoundary("multipart/form-data; boundary=a\x01z"));
}

}  // namespace
}  // namespace vf
