// The C API's durable file move (ferry/ferry.h, "Files"): ferry::moveFileDurably for C programs.

#include "ferry/files.hpp"
#include "handles.hpp"

using namespace ferry::c_api;

extern "C" {

ferry_code ferry_move_file_durably(const char* from, const char* to) {
  return answer([&] { take(ferry::moveFileDurably(required(from, "from"), required(to, "to"))); });
}

}  // extern "C"
