// The helpers every command line and ferryd share for text: sizes, rates, durations, and the file
// name a URL suggests.
#include <gtest/gtest.h>

#include <cmath>

#include "common/human_units.hpp"
#include "common/url_file_name.hpp"

using namespace ferry;

TEST(HumanUnits, BytesUseBinaryUnits) {
  EXPECT_EQ(units::humanBytes(0), "0 B");
  EXPECT_EQ(units::humanBytes(1023), "1023 B");
  EXPECT_EQ(units::humanBytes(1024), "1.0 KiB");
  EXPECT_EQ(units::humanBytes(5 * 1024 * 1024 + 512 * 1024), "5.5 MiB");
  EXPECT_EQ(units::humanBytes(std::uint64_t{3} << 40), "3.0 TiB");
  EXPECT_EQ(units::humanBytes(~std::uint64_t{0}), "16384.0 PiB");
}

TEST(HumanUnits, RatesAndUnknownRates) {
  EXPECT_EQ(units::humanRate(5242880), "5.0 MiB/s");
  EXPECT_EQ(units::humanRate(-1), "0 B/s");
  EXPECT_EQ(units::humanRate(std::nan("")), "0 B/s");
}

TEST(HumanUnits, Durations) {
  EXPECT_EQ(units::humanDuration(65), "1:05");
  EXPECT_EQ(units::humanDuration(7384), "2:03:04");
  EXPECT_EQ(units::humanDuration(-1), "--:--");
  EXPECT_EQ(units::humanDuration(INFINITY), "--:--");
}

TEST(UrlFileName, LastSegmentWithoutQueryOrFragment) {
  EXPECT_EQ(urls::fileNameOf("http://h/a/b/movie.mp4?x=1#t", "d"), "movie.mp4");
  EXPECT_EQ(urls::fileNameOf("https://h:8080/one", "d"), "one");
}

TEST(UrlFileName, NothingUsableGivesTheFallback) {
  EXPECT_EQ(urls::fileNameOf("http://h", "index.html"), "index.html");
  EXPECT_EQ(urls::fileNameOf("http://h/", "index.html"), "index.html");
  EXPECT_EQ(urls::fileNameOf("http://h/a/..", "download"), "download");
  EXPECT_EQ(urls::fileNameOf("", "download"), "download");
}

TEST(UrlFileName, UnsafeCharactersAreReplacedAndLongNamesCut) {
  EXPECT_EQ(urls::fileNameOf("http://h/a%20b$c.txt", "d"), "a_20b_c.txt");
  EXPECT_EQ(urls::fileNameOf("http://h/" + std::string(300, 'x'), "d"), std::string(100, 'x'));
  // A host alone with no scheme separator is still one segment, never a path.
  EXPECT_EQ(urls::fileNameOf("not a url/..%2f", "d"), ".._2f");
}

TEST(ProgressBar, OneRendererForEveryCommandLine) {
  EXPECT_EQ(units::progressBar(0, 100, 10), "[>         ]   0%");
  EXPECT_EQ(units::progressBar(45, 100, 10), "[====>     ]  45%");
  EXPECT_EQ(units::progressBar(100, 100, 10), "[==========] 100%");
  EXPECT_EQ(units::progressBar(250, 100, 4), "[====] 100%");  // more than expected: full, never past it
  EXPECT_EQ(units::progressBar(7, std::nullopt, 4), "[????]   ?%");
  EXPECT_EQ(units::progressBar(7, 0, 4), "[????]   ?%");
}
