#pragma once
// What the videofarm command's tests share: running build/bin/videofarm against a server and a
// data directory with a test ferryd's environment, and reading its --json answers.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <regex>
#include <string>
#include <vector>

#include "../../../tests/integration/harness.hpp"
#include "support/servers.hpp"

namespace videofarm::test {

using namespace ferry::test;

struct Device {
  std::string server;
  std::filesystem::path data_dir;
  const Ferryd* ferryd = nullptr;

  CommandResult run(std::vector<std::string> args, std::chrono::milliseconds timeout = std::chrono::seconds(180),
                    std::map<std::string, std::string> extra_env = {}) const {
    std::vector<std::string> argv{(binDir() / "videofarm").string(), "--server", server, "--data-dir", data_dir.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::map<std::string, std::string> env;
    if (ferryd) env = ferryd->env();
    env.insert(extra_env.begin(), extra_env.end());
    return runCommand(argv, env, timeout);
  }
  nlohmann::json status() const {
    auto r = run({"status", "--json"});
    auto line = r.out.substr(0, r.out.find('\n'));
    auto j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_TRUE(j.is_object()) << r.out;
    return j;
  }
};

// The first 16-hex-digit id in a command's output.
inline std::string videoIdIn(const std::string& out) {
  std::smatch m;
  std::regex id("\\b[0-9a-f]{16}\\b");
  return std::regex_search(out, m, id) ? m.str() : std::string();
}

// GET a server path with curl: status and body.
inline std::pair<int, std::string> httpGet(const std::string& url) {
  auto r = runCommand({"curl", "-s", "-S", "-w", "\n%{http_code}", url});
  auto nl = r.out.rfind('\n');
  if (nl == std::string::npos) return {0, r.out};
  return {std::atoi(r.out.substr(nl + 1).c_str()), r.out.substr(0, nl)};
}

// A ferryd task's bytes, found by its description ("videofarm movie ID", "videofarm upload ID").
inline std::optional<ferry::TaskInfo> taskDescribed(const Ferryd& ferryd, const std::string& description) {
  auto control = ferry::Control::connect(ferryd.socket(), false);
  if (!control) return std::nullopt;
  auto tasks = (*control)->list();
  if (!tasks) return std::nullopt;
  for (const auto& t : *tasks)
    if (t.description == description && t.state != "cancelled") return t;
  return std::nullopt;
}

}  // namespace videofarm::test
