#pragma once
// The server's settings: every size, count and time it accepts is bounded here and set by a flag.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

namespace vf {

struct Config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8090;
  std::filesystem::path data_dir;
  std::string database;  // empty: SQLite in data_dir; "postgresql://..." for libpq
  std::string blob_store;  // empty: files in data_dir; "rados://POOL?conf=PATH&id=CLIENT" for Ceph
  std::filesystem::path web_dir;

  std::size_t max_header_bytes = 16 * 1024;
  std::uint64_t max_form_bytes = 16ull << 20;      // POST /videos body
  std::uint64_t max_field_bytes = 64 * 1024;       // title, description
  std::uint64_t max_title_bytes = 300;
  std::uint64_t max_thumbnail_bytes = 8ull << 20;
  std::size_t max_parts = 8;
  std::uint64_t max_movie_bytes = 8ull << 30;      // PUT movie and resumable uploads
  std::size_t max_connections = 512;
  // I/O threads, each a server of its own on the shared port (main.cpp); 0: one per core.
  unsigned io_threads = 0;
  std::size_t max_list_limit = 200;
  std::chrono::milliseconds read_timeout{30000};   // per read, re-armed for every read
  std::chrono::milliseconds write_timeout{30000};  // per write / per wait for writability
  std::chrono::seconds upload_expiry{24 * 3600};   // resumable uploads left unfinished
  std::chrono::seconds upload_sweep{60};           // how often expired uploads are removed

  // Accounts (docs/videofarm-server.md, "Accounts").
  bool open_registration = false;  // POST /users without an admin's token
  bool private_library = false;    // every read needs a token too
  bool open_writes = false;        // no accounts: everyone may write (a trusted machine, Ferry's tests)
  std::string create_user;         // --create-user NAME: make an admin, password from stdin, exit
  std::size_t login_max_failures = 5;
  std::chrono::seconds login_lockout{60};
};

// Parses the command line; throws CLI::ParseError (handled by main) on bad flags.
Config parseCommandLine(int argc, char** argv);

}  // namespace vf
