#pragma once
// The input of `ferryctl download -i FILE`: one download per line, "URL [-o OUTPUT]"; blank lines
// and lines starting with # are skipped. Read by the list (command_download_list.cpp) and by a
// group (command_download_group.cpp).

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "common/error.hpp"

namespace ferry::cli {

struct ListLine {
  std::size_t number = 0;  // 1-based, as an editor shows it
  std::string url;
  std::string output;
};

struct ListProblem {
  std::size_t number = 0;
  Error error;
};

// Every line of the input (a file, or "-": standard input): the downloads, and the lines that are not.
Result<std::pair<std::vector<ListLine>, std::vector<ListProblem>>> readList(const std::string& file);

// Where a line's file goes: its -o, or the URL's last segment (index.html for none), here.
std::string outputOf(const ListLine& line);

// "ferryctl: FILE:LINE: message [code]" (or a JSON line with --json).
void reportProblem(const Context& ctx, const std::string& file, const ListProblem& p);

}  // namespace ferry::cli
