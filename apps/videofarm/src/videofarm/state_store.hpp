#pragma once
// The client's state between launches, in SQLite (state.sqlite3 in the data directory, WAL,
// synchronous=FULL): the background session identifier, the videos it knows, which Ferry task
// belongs to which video and role, resume data of paused downloads, and where finished downloads
// were put in the library folder. Every change that spans rows is one transaction. A file that is
// not such a database, is damaged, or comes from a newer version is refused with a clear error
// and left untouched. Safe to use from several threads (one lock) and processes (SQLite's).

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "videofarm/model.hpp"
#include "videofarm/sqlite.hpp"

namespace videofarm {

struct LibraryEntry {
  std::string video_id;
  std::filesystem::path movie;
  std::optional<std::filesystem::path> thumbnail;
};

struct KnownVideo {
  std::string server;
  RemoteVideo video;
};

class StateStore {
 public:
  static constexpr int kSchemaVersion = 1;
  static Result<std::unique_ptr<StateStore>> open(const std::filesystem::path& file);
  const std::filesystem::path& file() const { return db_.path(); }

  // The background session's identifier: made (random) and stored on first use, then always the same.
  Result<std::string> sessionIdentifier();
  Result<std::optional<std::string>> setting(const std::string& key);
  Result<void> setSetting(const std::string& key, const std::string& value);

  Result<void> saveVideo(const std::string& server, const RemoteVideo& video);
  Result<std::optional<KnownVideo>> video(const std::string& id);

  // Inserts or replaces the transfers (and their video) in one transaction.
  Result<void> putTransfers(const std::string& server, const RemoteVideo& video, const std::vector<Transfer>& transfers);
  Result<void> updateTransfer(const Transfer& transfer);
  // Replaces a transfer only if it is still in `expected` state (a pause racing a completion).
  Result<bool> updateTransferIf(const Transfer& transfer, TransferState expected);
  Result<std::optional<Transfer>> transferOfTask(std::uint64_t task);
  Result<std::vector<Transfer>> transfersOf(const std::string& video_id);
  Result<std::vector<Transfer>> allTransfers();
  // Its transfers (and its record, unless it is in the library: library entries stay).
  Result<void> forgetVideo(const std::string& video_id);

  // A finished download: its transfer(s) finished and the library entry, in one transaction.
  Result<void> recordLibrary(const LibraryEntry& entry, const std::vector<Transfer>& finished);
  Result<std::optional<LibraryEntry>> libraryEntry(const std::string& video_id);
  Result<std::vector<LibraryEntry>> library();

  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT (ROLLBACK when it fails).
  Result<void> transaction(const std::function<Result<void>()>& body);

 private:
  explicit StateStore(sql::Database db) : db_(std::move(db)) {}
  Result<void> prepareSchema();
  Result<void> writeTransfer(const Transfer& t);
  std::recursive_mutex mutex_;
  sql::Database db_;
  int depth_ = 0;  // nested transaction() calls join the outer one
};

}  // namespace videofarm
