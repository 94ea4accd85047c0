#pragma once
// The C API's handles (ferry/ferry.h) and how every entry point checks and answers.
//
// A handle is a pointer to one of the structs below, registered in a HandleTable when made and
// taken out when freed. Every entry point looks its handles up instead of dereferencing them, so
// that NULL, a freed handle, or a pointer libferry never made gives FERRY_E_INVALID_ARGUMENT and
// not a crash. A lookup hands out a shared_ptr: a handle freed on one thread while another is
// inside a call with it stays alive until that call returns.
//
// Errors: an entry point runs its body in `answer`, which turns a Result's Error, a thrown
// exception or a refused argument into a ferry_code and keeps the sentence for
// ferry_last_error_message (per thread).

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "ferry/error.hpp"
#include "ferry/ferry.h"
#include "ferry/session.hpp"

struct ferry_configuration {
  ferry::Configuration value;
};

struct ferry_request {
  ferry::Request value;
};

// Downloads and uploads read the same handle; each takes what applies to it.
struct ferry_options {
  ferry::DownloadOptions download;
  ferry::UploadOptions upload;
};

struct ferry_task_list {
  std::vector<ferry::TaskInfo> tasks;
  std::vector<ferry_task_info> views;  // pointing into `tasks`
};

namespace ferry::c_api {
class DelegateAdapter;
}

struct ferry_session {
  std::shared_ptr<ferry::c_api::DelegateAdapter> delegate;
  std::unique_ptr<ferry::Session> session;
};

namespace ferry::c_api {

template <class T>
class HandleTable {
 public:
  T* add(std::shared_ptr<T> handle) {
    std::lock_guard lock(mutex_);
    T* raw = handle.get();
    live_.emplace(raw, std::move(handle));
    return raw;
  }
  std::shared_ptr<T> find(const T* handle) const {
    std::lock_guard lock(mutex_);
    auto it = live_.find(handle);
    return it == live_.end() ? nullptr : it->second;
  }
  std::shared_ptr<T> remove(const T* handle) {
    std::lock_guard lock(mutex_);
    auto it = live_.find(handle);
    if (it == live_.end()) return nullptr;
    auto out = std::move(it->second);
    live_.erase(it);
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<const T*, std::shared_ptr<T>> live_;
};

// One table per handle type, for the life of the process.
template <class T>
HandleTable<T>& handles() {
  static HandleTable<T>* table = new HandleTable<T>();  // never destroyed: handles may outlive main
  return *table;
}

// A refused call: what answer() reports.
struct Refusal {
  Error error;
};

// ferry_code for an errc name (FERRY_E_INTERNAL for one this table lacks) and back.
ferry_code codeOf(std::string_view name);
const char* nameOf(ferry_code code);

// Records the outcome for ferry_last_error_*; returns its code.
ferry_code succeed();
ferry_code failWith(const Error& error);

// The live handle, or a Refusal naming what was wrong with it.
template <class T>
std::shared_ptr<T> lookup(const T* handle, const char* what) {
  if (!handle) throw Refusal{Error(errc::invalid_argument, std::string(what) + " is NULL")};
  auto live = handles<T>().find(handle);
  if (!live)
    throw Refusal{Error(errc::invalid_argument, std::string(what) + " is not a live handle (freed already, or not made by libferry)")};
  return live;
}

// A NUL-terminated argument that must be given.
std::string required(const char* text, const char* what);
// An output pointer that must be given.
template <class T>
T& output(T* out, const char* what) {
  if (!out) throw Refusal{Error(errc::invalid_argument, std::string(what) + " (the output pointer) is NULL")};
  return *out;
}
// Result<T> → its value, or a Refusal with its error.
template <class T>
T take(Result<T> result) {
  if (!result) throw Refusal{result.error()};
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

// Runs an entry point's body: FERRY_OK when it returns, the error's code when it throws a Refusal,
// FERRY_E_INTERNAL for any other exception (no exception ever crosses into C).
template <class F>
ferry_code answer(F&& body) {
  try {
    body();
    return succeed();
  } catch (const Refusal& r) {
    return failWith(r.error);
  } catch (const std::exception& e) {
    return failWith(Error(errc::internal, std::string("libferry failed: ") + e.what()));
  } catch (...) {
    return failWith(Error(errc::internal, "libferry failed with an unknown exception"));
  }
}

// Makes a handle of type T from `value` and registers it at *out.
template <class T, class V>
void handOut(T** out, V value) {
  auto& slot = output(out, "out");
  slot = handles<T>().add(std::make_shared<T>(T{std::move(value)}));
}

// Frees a handle (its table entry; the object goes with its last user).
template <class T>
ferry_code release(T* handle, const char* what) {
  return answer([&] {
    lookup(handle, what);
    handles<T>().remove(handle);
  });
}

// Memory handed to the caller, to be released with ferry_free (malloc'd, as C expects).
char* copyOut(std::string_view bytes);

}  // namespace ferry::c_api
